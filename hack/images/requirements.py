"""Prints the requirements of one of kintern's extras, read from pyproject.toml, one a line.

The Dockerfiles install these before copying the source, so the heavy dependency layer is
rebuilt only when pyproject.toml changes, not on every code change. Self-references such as
`kintern[operator]` are expanded. Usage: python requirements.py pyproject.toml EXTRA
"""

import sys
import tomllib


def requirements(project: dict, extra: str) -> list[str]:
    name = project["name"]
    extras = project["optional-dependencies"]
    found = list(project["dependencies"])
    for requirement in extras[extra]:
        if requirement.startswith(f"{name}["):
            inner = requirement[len(name) + 1 : requirement.index("]")]
            for each in inner.split(","):
                found += requirements(project, each.strip())
        else:
            found.append(requirement)
    return sorted(set(found))


if __name__ == "__main__":
    with open(sys.argv[1], "rb") as f:
        print("\n".join(requirements(tomllib.load(f)["project"], sys.argv[2])))
