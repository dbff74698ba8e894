"""Every private part of pypdf that bookmaker touches, in one place (the join, join.py and fonts.py).

- `PdfWriter._add_object(obj)`: adds an indirect object and returns its reference; pypdf has no public
  way to make a new indirect object in a writer;
- `PdfWriter._objects`: the writer's object table, read to walk the document and cleared of objects
  nothing reaches any more (pypdf's own clean-up keeps an orphan that another orphan refers to);
- `PdfWriter._info`: the reference of the document information dictionary, a root of that walk;
- `PdfWriter._ID`: the trailer's file identifiers, cloned from the front matter's PDF; the second is set
  from the joined book's contents (pypdf's generate_file_identifiers() draws it at random);
- `NameObject.write_to_stream` and `renumber()`: a name is written as the bytes `renumber()` makes of it,
  character by character, each time it is written (13,000 times in a 390-page join, most of them the same
  hundred names); `names_written_once()` keeps each name's bytes.

`PdfWriter.root_object` is public and used as it is. Verified on pypdf 7.1. On any other major version
`verified()` is false and the book is laid out as one document, which joins nothing.
"""

from __future__ import annotations

from importlib import metadata

VERIFIED = ("7.",)


def version() -> str:
    return metadata.version("pypdf")


def verified() -> bool:
    return version().startswith(VERIFIED)


def add_object(writer, obj):
    """A new indirect object in `writer`; its reference."""
    return writer._add_object(obj)


def info_reference(writer):
    return writer._info


def resolve(writer, idnum: int):
    return writer._objects[idnum - 1]


def object_count(writer) -> int:
    return len(writer._objects)


def drop(writer, idnum: int) -> None:
    """Leave object `idnum` out of the written file."""
    writer._objects[idnum - 1] = None


def set_changing_identifier(writer, value: bytes) -> None:
    """The second of the file's identifiers (the one that changes with its contents), the first kept;
    nothing where the file has none."""
    from pypdf.generic import ArrayObject, ByteStringObject

    if writer._ID is None:
        return
    writer._ID = ArrayObject((writer._ID[0], ByteStringObject(value)))


_NAME_BYTES: dict[str, bytes] = {}


def names_written_once() -> None:
    """NameObject.write_to_stream writing the bytes renumber() made for the same name before: the same
    bytes (renumber() reads nothing but the name), without making them again. A 761-page join's write
    took 0.114 s, 0.036 s with this. Once a process; the names kept are few (about 120 in a book), and
    forgotten past 4,096."""
    from pypdf.generic import NameObject

    if getattr(NameObject.write_to_stream, "bookmaker_names", False):
        return

    def write_to_stream(self, stream, *args, **kwargs) -> None:
        data = _NAME_BYTES.get(self)
        if data is None:
            if len(_NAME_BYTES) >= 4096:
                _NAME_BYTES.clear()
            data = _NAME_BYTES[str(self)] = self.renumber()
        stream.write(data)

    write_to_stream.bookmaker_names = True
    NameObject.write_to_stream = write_to_stream
