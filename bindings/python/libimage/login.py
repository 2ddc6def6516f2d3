# SPDX-License-Identifier: MIT
"""docker login and docker logout: credentials checked with the registry,
then kept (or removed) in Docker's config.json and its credential helpers,
as the docker CLI does."""
import dataclasses
from typing import Any, Dict, Optional

from . import _ffi
from .cancel import Cancel
from .registry import Registry, _host
from .types import RegistryConfig


def store_credentials(registry: str, username: str, password: str, config_dir: Optional[str] = None) -> Optional[str]:
    """Keeps credentials for a registry as docker login does: through the
    credential helper config.json names for it (credHelpers, else
    credsStore), else base64 in config.json ("<token>" as the user name: an
    identity token), replaced atomically with mode 0600 and its other keys
    kept. config_dir: where config.json is (None: $DOCKER_CONFIG or
    ~/.docker). Returns config.json's path when the secret was written there
    (not encrypted), None when a helper took it."""
    return _ffi.credentials_store(_host(registry), username, password, config_dir)


def erase_credentials(registry: str, config_dir: Optional[str] = None) -> None:
    """Removes a registry's credentials as docker logout does (the helper's
    and config.json's, also under older Docker's spellings of the host).
    Nothing stored is no error."""
    _ffi.credentials_erase(_host(registry), config_dir)


def login(username: str, password: str, registry: Optional[str] = None, config: Optional[RegistryConfig] = None,
          config_dir: Optional[str] = None, save: bool = True, cancel: Optional[Cancel] = None) -> Dict[str, Any]:
    """docker login (docker-py's argument names): checks username and
    password with the registry (Docker Hub when None), over the settings of
    config (a RegistryConfig: CA, TLS, ...), and with save (the default)
    keeps them with store_credentials(). Refused credentials raise AuthError
    with subject "CREDENTIALS", and nothing is kept. Returns {"Status":
    "Login Succeeded", "Location": config.json's path, or None when a
    credential helper keeps them or save is False}."""
    host = _host(registry or "docker.io")
    settings = dataclasses.replace(config or RegistryConfig(), credentials={host: (username, password)})
    with Registry(host, settings) as r:
        r.login(cancel=cancel)
    location = store_credentials(host, username, password, config_dir) if save else None
    return {"Status": "Login Succeeded", "Location": location}


def logout(registry: Optional[str] = None, config_dir: Optional[str] = None) -> None:
    """docker logout: erase_credentials() of the registry (Docker Hub when None)."""
    erase_credentials(registry or "docker.io", config_dir)
