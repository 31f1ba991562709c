"""The awsvpc network of a task: the given subnets, or every subnet of the VPC (default VPC)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flowyard_aws.job import EcsJob

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client


def _no_subnets(where: str) -> ValueError:
    return ValueError(
        f"network_configuration: this task uses awsvpc networking (Fargate) but no subnets were "
        f"given and {where}. Set network_configuration.subnets (and securityGroups), or vpc_id "
        "to use every subnet of that VPC."
    )


def awsvpc_configuration(ec2: EC2Client, job: EcsJob) -> dict[str, Any]:
    """``awsvpcConfiguration`` for RunTask, discovering subnets when none are given.

    :raises ValueError: naming ``network_configuration`` when no subnet can be found (no default
        VPC, an empty VPC) or ``vpc_id`` when a given subnet is not in that VPC.
    """
    given = dict(job.network_configuration or {})
    security_groups = list(given.get("securityGroups") or [])
    public_ip = str(given.get("assignPublicIp") or "ENABLED")
    subnets = list(given.get("subnets") or [])
    if subnets:
        if job.vpc_id:
            found = ec2.describe_subnets(SubnetIds=subnets)["Subnets"]
            outside = [s["SubnetId"] for s in found if s.get("VpcId") != job.vpc_id]
            if outside:
                raise ValueError(
                    f"vpc_id: subnets {', '.join(outside)} of network_configuration are not in "
                    f"VPC {job.vpc_id}."
                )
    else:
        if job.vpc_id:
            vpcs = ec2.describe_vpcs(VpcIds=[job.vpc_id])["Vpcs"]
            where = f"VPC {job.vpc_id} has no subnets"
        else:
            vpcs = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]
            where = "this region has no default VPC"
        if not vpcs:
            raise _no_subnets(where)
        found = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpcs[0]["VpcId"]]}])[
            "Subnets"
        ]
        subnets = sorted(s["SubnetId"] for s in found)
        if not subnets:
            raise _no_subnets(f"VPC {vpcs[0]['VpcId']} has no subnets")
    return {"subnets": subnets, "securityGroups": security_groups, "assignPublicIp": public_ip}
