"""Show Text node: a STRING shown on the node exactly as it is (schedule strings, reports).

ComfyUI's Preview Any renders text as Markdown, so `<lora:...>` vanishes as an unknown HTML tag and the
text copied from it is not the schedule string. This node's widget (web/editor/show_text_widget.js) is a
read-only textarea: what it shows is the string, byte for byte, and it can be selected and copied.
"""


class ShowText:
    NODE_ID = "LoraWeightsBuilderShowText"
    DISPLAY_NAME = "Show Text (Weights Builder)"
    CATEGORY = "utils"
    DESCRIPTION = "Shows a string exactly as it is (no Markdown), e.g. a schedule string to copy; passes it on."
    RETURN_TYPES = ("STRING",)
    RETURN_NAMES = ("text",)
    FUNCTION = "show"
    OUTPUT_NODE = True

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"text": ("STRING", {"forceInput": True})}}

    def show(self, text):
        return {"ui": {"text": [text]}, "result": (text,)}


NODES = (ShowText,)
