"""Inputs: named, decoded (function bodies left as bytes), every error naming its file."""

import re
from dataclasses import dataclass

from ..binary.model import Module
from ..binary.reader import decode_module
from ..binary.types import MEMORY_KIND
from ..errors import LinkError, WasmError
from ..features import ALL
from ..workers import body_sizes


@dataclass
class Input:
    name: str
    module: Module
    size: int
    file: str | None = None  # the path it was read from, when there is one
    code_size: int = 0  # bytes of function bodies

    @property
    def label(self) -> str:
        """How messages name this input."""
        if self.file and self.file != self.name:
            return f"{self.name} ({self.file})"
        return self.name


def load_inputs(inputs, files=None) -> list[Input]:
    """Decode `[(name, bytes), ...]`; `files` gives the path of each, for messages."""
    loaded = []
    seen = {}
    for k, (name, data) in enumerate(inputs):
        file = files[k] if files else None
        if not isinstance(name, str) or not name:
            raise LinkError(f"input {k + 1} has no module name", file=file)
        if name in seen:
            raise LinkError(f"two inputs are named {name!r} (inputs {seen[name] + 1} and {k + 1}); "
                            "name them with NAME=PATH", file=file)
        seen[name] = k
        try:
            # Bodies and data segments as byte ranges of `data`, which the caller holds
            # anyway: the merger then holds each input's bytes once (docs/merge.md, memory).
            module = decode_module(data, lazy=True, features=ALL, views=isinstance(data, bytes))
        except WasmError as err:
            raise err.with_file(file or name)
        if is_relocatable_object(module):
            raise LinkError(f"{file or name} is a relocatable object (it has a linking section and imports "
                            "env.__linear_memory): link objects with `wasmmerge link`, then merge the result")
        loaded.append(Input(name, module, len(data), file, sum(body_sizes(module.codes))))
    return loaded


def is_relocatable_object(module: Module) -> bool:
    """An object (clang -c, wasm-ld -r) still needs linking; a linked module, even one with
    --emit-relocs sections, defines its own memory instead of importing __linear_memory."""
    if module.custom("linking") is None:
        return False
    return any(imp.module == "env" and imp.name == "__linear_memory" and imp.kind == MEMORY_KIND
               for imp in module.imports)


def input_name_from_path(path: str) -> str:
    """The module name of an input given as PATH: the file name without its extension."""
    base = re.split(r"[\\/]", path)[-1]
    return base.rsplit(".", 1)[0] if "." in base.lstrip(".") else base
