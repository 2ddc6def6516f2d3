# SPDX-License-Identifier: MIT
"""Image references, read as Docker reads them."""
from dataclasses import dataclass
from typing import Optional

from . import _ffi


@dataclass(frozen=True)
class Reference:
    """A parsed reference. str() is the canonical form."""
    string: str
    name: Optional[str]
    domain: str
    path: Optional[str]
    tag: Optional[str]
    digest: Optional[str]
    familiar: str
    familiar_name: Optional[str]

    @classmethod
    def parse(cls, text, mode: str = "docker") -> "Reference":
        """Reads @text. mode: "docker" (as `docker pull` reads it: normalized,
        "latest" when it has no tag; the default), "normalized" (no default
        tag), "strict" (the grammar, nothing added), "canonical" (must already
        be canonical), "any" (also a bare image ID), "name" (a name only).
        Raises InvalidReferenceError (a ValueError)."""
        d = _ffi.reference_parse(text, mode)
        return cls(string=d["string"], name=d["name"], domain=d["domain"] or "", path=d["path"], tag=d["tag"],
                   digest=d["digest"], familiar=d["familiar_string"] or d["string"], familiar_name=d["familiar_name"])

    def familiar_match(self, pattern: str) -> bool:
        """Docker's `docker images REPOSITORY[:TAG]` matching."""
        return _ffi.reference_familiar_match(self.string, pattern)

    def __str__(self):
        return self.string
