{{- define "flowyard-worker.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "flowyard-worker.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "flowyard-worker.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: worker
{{- end -}}

{{- define "flowyard-worker.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "flowyard-worker.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "flowyard-worker.pool" -}}
{{- required "flowyard-worker: worker.config.workPool is required (the work pool to serve)" .Values.worker.config.workPool -}}
{{- end -}}

{{- define "flowyard-worker.apiUrl" -}}
{{- required "flowyard-worker: worker.apiConfig.url is required, e.g. http://flowyard-server.<namespace>.svc.cluster.local:4200/api" .Values.worker.apiConfig.url -}}
{{- end -}}

{{- define "flowyard-worker.jobNamespace" -}}
{{- .Values.rbac.jobNamespace | default .Release.Namespace -}}
{{- end -}}

{{- define "flowyard-worker.hasTemplate" -}}
{{- if or .Values.baseJobTemplate.configuration .Values.baseJobTemplate.existingConfigMapName -}}true{{- else -}}false{{- end -}}
{{- end -}}

{{- define "flowyard-worker.configMapName" -}}
{{- .Values.baseJobTemplate.existingConfigMapName | default (printf "%s-base-job-template" (include "flowyard-worker.fullname" .)) -}}
{{- end -}}

{{- /* Connection environment shared by the worker and its init container. */ -}}
{{- define "flowyard-worker.apiEnv" -}}
- name: FLOWYARD_API_URL
  value: {{ include "flowyard-worker.apiUrl" . | quote }}
{{- with .Values.worker.apiConfig.existingSecret }}
- name: FLOWYARD_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ $.Values.worker.apiConfig.existingSecretKey }}
{{- end }}
- name: HOME
  value: /var/lib/flowyard
{{- end -}}
