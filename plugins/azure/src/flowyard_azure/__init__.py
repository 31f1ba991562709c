"""flowyard worker type ``azure-container-instance``: one ACI container group per flow run."""
