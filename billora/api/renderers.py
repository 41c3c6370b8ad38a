"""The API's JSON renderer: DRF's ``JSONRenderer`` output, written by orjson.

Byte for byte what DRF's renderer writes with our settings (compact separators, UTF-8 text
unescaped, U+2028/U+2029 escaped, DRF's encoder for dates, times and the like), several times
faster on a page of invoices. A pretty-printing request (``Accept: application/json;
indent=4``) and anything orjson cannot write (an int beyond 64 bits, a lone surrogate) go
to DRF's own renderer, so nothing renders differently or fails here that did not before.
"""

import orjson
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

_ENCODER = JSONEncoder()
# Dates and times through DRF's encoder (its "Z" for UTC); UUIDs as orjson writes them, the same
# text as ``str(uuid)``. A dict key that is not a string (a list field's error index) makes
# orjson refuse the body, and DRF's renderer writes it.
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME
_SEPARATORS_PREFIX = b"\xe2\x80"  # UTF-8 of U+2028 and U+2029 begins with these two bytes
_LINE_SEPARATOR, _PARAGRAPH_SEPARATOR = "\u2028".encode(), "\u2029".encode()


class OrjsonRenderer(JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if self.get_indent(accepted_media_type, renderer_context or {}) is not None:
            return super().render(data, accepted_media_type, renderer_context)
        try:
            body = orjson.dumps(data, default=_ENCODER.default, option=_OPTIONS)
        except orjson.JSONEncodeError:
            return super().render(data, accepted_media_type, renderer_context)
        # As DRF does: valid JSON, but they end a line in JavaScript.
        if _SEPARATORS_PREFIX in body:  # one scan of the body, not two
            body = body.replace(_LINE_SEPARATOR, b"\\u2028").replace(_PARAGRAPH_SEPARATOR, b"\\u2029")
        return body
