"""flowyard worker types ``cloud-run`` (Cloud Run jobs, v2 API) and ``vertex-ai`` (Vertex AI custom jobs)."""
