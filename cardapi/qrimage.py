"""QR images of a payload, as PNG or SVG.

qrcode (and Pillow behind it) load on the first image, not when the app starts.
"""

import io


def _code(payload: str, **kwargs):
    import qrcode

    # Medium error correction survives a scuffed or glary phone screen without making the code dense.
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=8, border=4, **kwargs)
    code.add_data(payload)
    code.make(fit=True)
    return code


def png(payload: str) -> bytes:
    buffer = io.BytesIO()
    _code(payload).make_image().save(buffer, format="PNG")
    return buffer.getvalue()


def svg(payload: str) -> bytes:
    import qrcode.image.svg

    buffer = io.BytesIO()
    _code(payload, image_factory=qrcode.image.svg.SvgPathImage).make_image().save(buffer)
    return buffer.getvalue()
