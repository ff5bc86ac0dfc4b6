"""A griffe extension for the API reference: reST roles in docstrings become Markdown.

The docstrings are Google style but name other objects the Sphinx way (:func:`solve`,
:class:`StrictModel`, :attr:`Material.reo_per_tonne`). Each role becomes a link to the object
where the site documents it (a public object of a documented module), else inline code, so the
strict build has no cross-reference it cannot resolve.
"""

import re
from pathlib import Path
from typing import Any

import griffe

ROLE = re.compile(r":(?:py:)?(?:func|class|meth|attr|mod|data|exc|obj|const):`~?([^`<]+?)`")
REFERENCE = Path(__file__).with_name("reference")
DOCUMENTED = {
    match.group(1)
    for page in REFERENCE.glob("*.md")
    for match in re.finditer(r"^::: (optiree\.\w+)$", page.read_text(), re.MULTILINE)
}
"""The modules that have a page of their own under docs/reference/."""


def _documented(obj: griffe.Object | griffe.Alias) -> bool:
    path = obj.path
    return any(path == m or path.startswith(f"{m}.") for m in DOCUMENTED) and not any(
        part.startswith("_") for part in path.split(".")[1:]
    )


def _target(name: str, where: griffe.Object) -> str | None:
    """The full path of the documented object ``name`` means in the docstring of ``where``."""
    scopes: list[griffe.Object] = []
    scope: griffe.Object | None = where if where.is_module or where.is_class else where.parent
    while scope is not None:
        scopes.append(scope)
        scope = scope.parent
    for scope in scopes:
        try:
            found = scope[name]
        except (KeyError, ValueError, griffe.AliasResolutionError, griffe.CyclicAliasError):
            continue
        target = found.final_target if isinstance(found, griffe.Alias) else found
        return target.path if _documented(target) else None
    return None


def _rewrite(text: str, where: griffe.Object, package: griffe.Module) -> str:
    def link(match: re.Match[str]) -> str:
        name = match.group(1).strip()
        target = _target(name, where)
        if target is None and name.startswith(f"{package.name}."):
            try:
                found = package[name.removeprefix(f"{package.name}.")]
            except (KeyError, ValueError, griffe.AliasResolutionError):
                found = None
            if found is not None:
                final = found.final_target if isinstance(found, griffe.Alias) else found
                target = final.path if _documented(final) else None
        return f"[`{name}`][{target}]" if target else f"`{name}`"

    return ROLE.sub(link, text)


class ReSTRoles(griffe.Extension):
    """Rewrite the roles of every docstring in the package once it is loaded."""

    def on_package(self, *, pkg: griffe.Module, **_: Any) -> None:
        objects: list[griffe.Object] = [pkg]
        while objects:
            obj = objects.pop()
            if obj.docstring is not None:
                obj.docstring.value = _rewrite(obj.docstring.value, obj, pkg)
            objects.extend(
                member
                for member in obj.members.values()
                if not isinstance(member, griffe.Alias) and member.parent is obj
            )
