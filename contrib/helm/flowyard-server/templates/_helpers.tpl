{{- define "flowyard-server.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "flowyard-server.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "flowyard-server.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: server
{{- end -}}

{{- define "flowyard-server.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "flowyard-server.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- /* The Secret and key holding the database URL; fails with the fix when none is given. */ -}}
{{- define "flowyard-server.databaseSecret" -}}
{{- if .Values.database.existingSecret -}}
{{- .Values.database.existingSecret -}}
{{- else if .Values.database.url -}}
{{- printf "%s-database" (include "flowyard-server.fullname" .) -}}
{{- else -}}
{{- fail "flowyard-server: set database.existingSecret (a Secret with the PostgreSQL URL), database.url, or database.sqlite.enabled=true" -}}
{{- end -}}
{{- end -}}

{{- define "flowyard-server.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "flowyard-server.migrationJob" -}}
{{- and .Values.migrations.enabled (not .Values.database.sqlite.enabled) -}}
{{- end -}}

{{- /* Environment shared by the server and the migration Job. */ -}}
{{- define "flowyard-server.databaseEnv" -}}
{{- if .Values.database.sqlite.enabled }}
- name: FLOWYARD_DATABASE_URL
  value: sqlite:////var/lib/flowyard/flowyard.db
{{- else }}
- name: FLOWYARD_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "flowyard-server.databaseSecret" . }}
      key: {{ .Values.database.existingSecretKey }}
{{- end }}
{{- end -}}
