"""Reading ``muon.yaml`` into a :class:`Definition`, with errors a person can act on.

Every problem is reported as ``<file>: <path>: <what was expected>``, all problems of a file in
one message, and never as a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from muon.stacks.errors import DefinitionError

if TYPE_CHECKING:
    from muon.stacks.definition.document import Definition

MAX_FILE_BYTES = 1024 * 1024
"""A definition, stack or organization file is a few kilobytes; anything larger is not one."""
MAX_NODES = 100_000
"""Nodes after every alias is expanded: a 'billion laughs' document is refused before it expands."""
MAX_DEPTH = 64
MERGE_TAG = "tag:yaml.org,2002:merge"


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate keys (PyYAML keeps the last one silently) and keys that
    are lists or mappings, and still takes YAML merge keys (``<<: *defaults``)."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: dict[Any, yaml.Node] = {}
    for key_node, _ in node.value:
        if key_node.tag == MERGE_TAG:
            continue  # merged keys may be overridden by the mapping's own: that is what merging is
        if not isinstance(key_node, yaml.ScalarNode):
            raise yaml.constructor.ConstructorError(
                None, None, "a list or mapping cannot be a key; keys are names", key_node.start_mark
            )
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key '{key}'", key_node.start_mark)
        seen[key] = key_node
    loader.flatten_mapping(node)
    return loader.construct_mapping(node)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)

TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
# A muon file holds what JSON holds: text, numbers, booleans, lists and mappings. An unquoted date
# is text (PyYAML would build a date, and raise a bare ValueError on 2020-02-30), and YAML's
# other types are refused where they are written.
_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != TIMESTAMP_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
FOREIGN_TYPES = {
    "tag:yaml.org,2002:binary": ("binary data (!!binary)", "write text"),
    "tag:yaml.org,2002:set": ("a set (!!set)", "write a list"),
    "tag:yaml.org,2002:omap": ("an ordered map (!!omap)", "write a mapping"),
    "tag:yaml.org,2002:pairs": ("pairs (!!pairs)", "write a mapping"),
    TIMESTAMP_TAG: ("a timestamp (!!timestamp)", "write it as text"),
}


def _refuse(loader: _StrictLoader, node: yaml.Node) -> None:
    what, instead = FOREIGN_TYPES[node.tag]
    raise yaml.constructor.ConstructorError(
        None, None, f"{what} is not taken in a muon file; {instead}", node.start_mark
    )


for _tag in FOREIGN_TYPES:
    _StrictLoader.add_constructor(_tag, _refuse)


def whole_characters(text: str) -> bool:
    """Whether ``text`` is Unicode throughout: YAML's "\\ud800" is half of a UTF-16 pair, no
    character (it cannot be written to a file, a tag or an API call, and pydantic refuses it)."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _construct_text(loader: _StrictLoader, node: yaml.ScalarNode) -> str:
    value = loader.construct_scalar(node)
    if not whole_characters(value):
        raise yaml.constructor.ConstructorError(
            None,
            None,
            "half of a UTF-16 surrogate pair (such as \\ud800) is not a character",
            node.start_mark,
        )
    return value


_StrictLoader.add_constructor("tag:yaml.org,2002:str", _construct_text)


def _check_expansion(root: yaml.Node, source: str) -> None:
    """Count the nodes the document would have with every alias expanded, without expanding it
    (each distinct node is visited once), and refuse alias cycles and deep nesting."""
    sizes: dict[int, tuple[int, int]] = {}
    visiting: set[int] = set()

    def measure(node: yaml.Node) -> tuple[int, int]:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in visiting:
            raise DefinitionError([f"{source}: invalid YAML: an alias refers to a node that contains it"])
        visiting.add(key)
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        count, depth = 1, 0
        for child in children:
            child_count, child_depth = measure(child)
            count, depth = count + child_count, max(depth, child_depth)
            if count > MAX_NODES:
                message = f"too large once its aliases are expanded (over {MAX_NODES:,} values); refused"
                raise DefinitionError([f"{source}: {message}"])
        visiting.discard(key)
        sizes[key] = (count, depth + 1)
        if depth + 1 > MAX_DEPTH:
            raise DefinitionError([f"{source}: nested more than {MAX_DEPTH} levels deep; refused"])
        return sizes[key]

    measure(root)


def parse_yaml(text: str, source: str) -> Any:
    """Parse YAML text; a syntax error becomes one line naming the file, line and column.

    Sizes are checked before anything is built: a document whose aliases would expand past
    ``MAX_NODES`` values, or that nests past ``MAX_DEPTH`` levels, is refused in bounded time and
    memory.
    """
    if len(text) > MAX_FILE_BYTES:
        raise DefinitionError(
            [f"{source}: {len(text):,} characters; a muon file is at most {MAX_FILE_BYTES:,}"]
        )
    loader = _StrictLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node, source)
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        raise DefinitionError([f"{where}: invalid YAML: {error.problem or error}"]) from None
    except yaml.YAMLError as error:
        raise DefinitionError([f"{source}: invalid YAML: {error}"]) from None
    except RecursionError:
        raise DefinitionError([f"{source}: nested too deeply to read; refused"]) from None
    finally:
        loader.dispose()


def read_text(path: Path, what: str, setting: str | None = None, shown: str | None = None) -> str:
    """A UTF-8 text file, or one line saying why not: missing, a folder, not text, unreadable.

    ``setting``: where the path came from (``Pulumi.dev.yaml: muon:definition``), named first;
    ``shown``: the path as messages name it (relative to the project), default ``path``.
    """
    where = f"{setting}: {shown or path}" if setting else str(shown or path)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise DefinitionError([f"{where}: larger than {MAX_FILE_BYTES:,} bytes; not a {what}"])
        data = path.read_bytes()
    except FileNotFoundError:
        raise DefinitionError([f"{where}: no such {what}"]) from None
    except IsADirectoryError:
        raise DefinitionError([f"{where}: is a folder; expected a {what}"]) from None
    except OSError as error:
        raise DefinitionError([f"{where}: cannot read: {error.strerror}"]) from None
    except ValueError as error:  # a NUL byte in the name: no file can have it
        raise DefinitionError([f"{where}: not a file name ({error})"]) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise DefinitionError(
            [
                f"{where}: not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start}); "
                f"save the {what} as UTF-8"
            ]
        ) from None


def load_definition(path: str | Path, setting: str | None = None, shown: str | None = None) -> Definition:
    """Read and validate a definition file; ``shown``: its path as messages name it (the
    project-relative ``muon:definition``), default ``path``."""
    path = Path(path)
    return parse_definition(read_text(path, "definition file", setting, shown), shown or str(path))


def parse_definition(text: str, source: str = "muon.yaml") -> Definition:
    # The models load in definition_from_data, not with this module: reading YAML (stack files,
    # the shape check before the models) needs none of them.
    return definition_from_data(parse_yaml(text, source), source)


def definition_from_data(data: Any, source: str) -> Definition:
    """A definition from its parsed YAML (``parse_yaml``), validated by the models."""
    from muon.stacks.definition.document import Definition
    from muon.stacks.definition.problems import validate

    if data is None:
        raise DefinitionError([f"{source}: the file is empty; expected at least 'environments:'"])
    return validate(Definition, data, source)
