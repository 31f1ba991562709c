"""flowyard worker type ``ecs``: each flow run is an AWS ECS task, driven through boto3."""
