"""Records of compiled structures: what a warm process needs to load compiled code from numba's cache.

Finding a cached PyTensor function normally means building and rewriting its graph again, to
compute the key the cache is indexed by. A record, written once per structure beside the caches
and named by a :func:`structure_digest` of everything the graph depends on besides its data,
keeps those keys instead. Readers treat a missing or unreadable record as a cache miss.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

import pytensor

from forecast.features.arrays import ModelInputs
from forecast.inference import callbacks
from forecast.io.files import atomic_write
from forecast.priors import Prior, priors_key


def structure_digest(*parts) -> str:
    """Return a digest of ``parts`` (reprs), this package's source and the compiling libraries.

    ``parts`` must name everything a model's graph depends on besides its data values (for
    the succession model: the inputs' structure key and the priors). Any edit of the package's
    code gives new digests, so a stored record never outlives the code that wrote it.
    """
    import importlib.metadata as md

    digest = hashlib.sha256(callbacks.CALLBACK_VERSION.encode())
    for part in parts:
        digest.update(repr(part).encode())
    for lib in ("pymc", "pytensor", "numba", "nutpie"):
        digest.update(f"{lib}={md.version(lib)}".encode())
    digest.update(f"{pytensor.config.floatX} {pytensor.config.numba__fastmath}".encode())
    digest.update(_package_source_digest().encode())
    return digest.hexdigest()[:32]


def succession_digest(inputs: ModelInputs, priors: dict[str, Prior]) -> str:
    """Return the digest naming the record of the succession model compiled for ``inputs``.

    The graph depends on the inputs' structure and the priors, not on the data's values.
    """
    return structure_digest(inputs.structure_key(), priors_key(priors))


@functools.cache
def _package_source_digest() -> str:
    """Return a digest of every module of this package, read once per process."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parents[1]
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def record_path(digest: str) -> Path:
    """Where the record of a compiled structure lives: beside PyTensor's (and numba's) cache."""
    return Path(pytensor.config.compiledir) / "forecast-models" / f"{digest}.json"


def read_record(digest: str | None) -> dict | None:
    """Return the record of ``digest``, or None if there is none, it is unreadable or caching is off.

    A record names entries of numba's cache, so none is used while PyTensor's numba cache is off.
    """
    if digest is None or not pytensor.config.numba__cache:
        return None
    try:
        record = json.loads(record_path(digest).read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def write_record(digest: str | None, record: dict) -> None:
    """Store ``record`` for ``digest`` atomically; an unwritable cache folder is not an error.

    Without a record the next process only rebuilds the graph, so a failed write costs time,
    never a result.
    """
    if digest is None or not pytensor.config.numba__cache:
        return
    path = record_path(digest)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, lambda tmp: Path(tmp).write_text(json.dumps(record)))
    except OSError:
        pass
