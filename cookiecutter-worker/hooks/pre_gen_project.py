"""Refuse a worker type name that cannot be an entry-point name, a package name and a pool type."""

import re
import sys

NAME = "{{ cookiecutter.name }}"

if len(NAME) > 30 or not re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)*", NAME):
    sys.stderr.write(
        f"name {NAME!r}: use lowercase letters, digits and single hyphens, starting with a "
        "letter, at most 30 characters (e.g. 'slurm' or 'nomad-batch'); it becomes the worker type, "
        "the distribution flowyard-<name> and the package flowyard_<name>.\n"
    )
    sys.exit(1)
