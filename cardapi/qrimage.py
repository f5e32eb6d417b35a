"""QR images of a payload, as PNG or SVG."""

import io

import qrcode
import qrcode.image.svg

# Medium error correction survives a scuffed or glary phone screen without making the code dense.
_ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_M


def _code(payload: str, **kwargs) -> qrcode.QRCode:
    code = qrcode.QRCode(error_correction=_ERROR_CORRECTION, box_size=8, border=4, **kwargs)
    code.add_data(payload)
    code.make(fit=True)
    return code


def png(payload: str) -> bytes:
    buffer = io.BytesIO()
    _code(payload).make_image().save(buffer, format="PNG")
    return buffer.getvalue()


def svg(payload: str) -> bytes:
    buffer = io.BytesIO()
    _code(payload, image_factory=qrcode.image.svg.SvgPathImage).make_image().save(buffer)
    return buffer.getvalue()
