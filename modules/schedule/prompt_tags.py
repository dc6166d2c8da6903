"""A1111-style `<lora:NAME:WEIGHT[:CLIP]>` tags inside prompt text, and the prompt without them.

Schedule strings keep their grammar: a line that is exactly one `<lora:...>` tag (after trimming) is a
schedule line (`parse.parse_lora_line`: NAME:MODEL:CLIP and the curve/preset/vectors fields, CLIP 1 when
omitted, as seed 004 reads it). Any other line is prompt text, and each tag in it is an inline tag
(what wildcard and prompt nodes produce): `<lora:NAME>`, `<lora:NAME:WEIGHT>` or
`<lora:NAME:WEIGHT:CLIP>`, where a missing WEIGHT is 1 and a missing CLIP is WEIGHT (A1111's reading).
An inline tag with more fields is an error naming the line (a curve or vectors need a line of their own).

`prompt_without_tags` gives the text a text encoder should see: schedule lines dropped, inline tags
removed, and on the lines that had a tag the leftovers tidied (runs of spaces to one, no space before a
comma, no empty comma items, no comma at either end; a line left empty is dropped). Lines without a
tag are unchanged. A JSON schedule (text starting with `[` that parses as a list) has no prompt.
web/lib/schedule.js implements the same rules; tests/vectors/schedule_strings.json holds shared cases.
"""

from __future__ import annotations

import json
import re

from .model import LoraItem, ScheduleError, parse_number, unescape_name

TAG_RE = re.compile(r"<lora:([^<>]*)>")
MAX_INLINE_FIELDS = 3


def is_schedule_line(line: str) -> bool:
    """Whether a trimmed line is one whole `<lora:...>` schedule line (its only `>` is the last character)."""
    return line.startswith("<lora:") and line.endswith(">") and line.index(">") == len(line) - 1


def inline_items(line: str, number: int) -> list[LoraItem]:
    """The inline tags of one prompt line, in order; `number` is its 1-based line number for errors."""
    items = []
    for match in TAG_RE.finditer(line):
        parts = match.group(1).split(":")
        if len(parts) > MAX_INLINE_FIELDS:
            raise ScheduleError(f"inline tag {match.group(0)!r}: inside text a tag is <lora:NAME:WEIGHT[:CLIP]>; "
                                "put a schedule line with a curve, preset or vectors on its own line", number)
        name = unescape_name(parts[0].strip())
        if not name:
            raise ScheduleError(f"inline tag {match.group(0)!r}: empty LoRA name", number)
        weight = parse_number(parts[1], f"{name}: weight", number) if len(parts) > 1 and parts[1].strip() else 1.0
        clip = parse_number(parts[2], f"{name}: CLIP weight", number) if len(parts) > 2 and parts[2].strip() \
            else weight
        items.append(LoraItem(lora_name=name, strength_model=weight, strength_clip=clip))
    return items


def _tidy(line: str) -> str:
    line = re.sub(r"[ \t]+", " ", line)
    line = re.sub(r" +,", ",", line)
    line = re.sub(r",(?: *,)+", ",", line)
    return line.strip(" ,")


def prompt_without_tags(text: str | None) -> str:
    """`text` without its LoRA tags and schedule lines (see the module docstring)."""
    if text is None or not text.strip():
        return ""
    if text.strip().startswith("["):
        try:
            if isinstance(json.loads(text), list):
                return ""
        except ValueError:
            pass  # not JSON: prompt text that starts with "["
    out = []
    for raw in text.split("\n"):
        if is_schedule_line(raw.strip()):
            continue
        if not TAG_RE.search(raw):
            out.append(raw)
            continue
        cleaned = _tidy(TAG_RE.sub("", raw))
        if cleaned:
            out.append(cleaned)
    return "\n".join(out)
