"""A generated LoRA library whose headers have the size and shape of real trainers' files.

Used by `library_index.py` and `inspection.py`. Every file is a real safetensors header followed by a
sparse hole of the full data size (`truncate`), so 10k files take the headers' space on disk.

Tensor tables (the test kit's key tables: real key names and shapes):
- kohya sd-scripts SD1.5 / SDXL LoRAs (`lora_unet_*`, `lora_te*_*`, `.alpha` per module), attention-only
  or every layer, with or without the text encoders (SDXL rank 32, every layer, both encoders:
  ~2,950 tensors, ~330 KB of tensor table);
- LyCORIS LoHa / LoKr / DoRA files (kohya naming, `hada_*`, `lokr_*`, `dora_scale`);
- PEFT / diffusers FLUX.1 and SD3 LoRAs (`transformer.*.lora_A.weight`, no alpha), and kohya FLUX.1;
- fp16 or bf16 (different tables), ranks 4..128.

Metadata as kohya writes it: dozens of `ss_*` keys (learning rates, optimizer, scheduler, steps,
epochs, seeds, hashes, resolution, noise offset, ...), `ss_tag_frequency` (hundreds of tags with
counts per dataset folder: tens of KB once JSON-escaped), `ss_dataset_dirs`, `ss_bucket_info` (the
bucket table), `ss_datasets` on newer versions (the tag frequency again, per subset), `modelspec.*`;
PEFT files carry a few `modelspec`/format keys or none. Every file's metadata is its own (run dates,
ids, tags, counts), as in a real library.
"""

from __future__ import annotations

import json
import math
import random
import time
from pathlib import Path

from lwb_testkit.lora_factory import plan_modules

FOLDERS = ("characters", "styles", "concepts", "poses", "clothing", "tools", "backgrounds", "misc")
WORDS = ("aiko", "ranger", "watercolor", "ink", "neon", "knight", "pilot", "dancer", "pixel", "film", "grain",
         "glass", "armor", "kimono", "city", "forest", "portrait", "anime", "photo", "sketch")
TAG_WORDS = ("1girl", "solo", "long hair", "looking at viewer", "smile", "blush", "short hair", "open mouth",
             "blue eyes", "simple background", "shirt", "brown hair", "black hair", "white background", "thighhighs",
             "hat", "jewelry", "red eyes", "holding", "dress", "standing", "outdoors", "upper body", "sky", "day",
             "cloud", "tree", "closed mouth", "jacket", "full body", "sitting", "indoors", "gloves", "ribbon",
             "masterpiece", "best quality", "detailed background", "scenery", "night", "city lights", "reflection")
KOHYA_BASE = {"SD15": "sd_v1", "SDXL": "sdxl_base_v1-0", "FLUX.1": "flux1", "SD3": "sd3"}
MODELSPEC = {"SD15": "stable-diffusion-v1/lora", "SDXL": "stable-diffusion-xl-v1-base/lora",
             "FLUX.1": "flux-1-dev/lora", "SD3": "stable-diffusion-3-medium/lora"}
# (arch, naming, adapter, weight): the mix of a library that has grown over a few years.
KINDS = (("SDXL", "kohya", "lora", 34), ("SD15", "kohya", "lora", 22), ("SDXL", "kohya", "loha", 5),
         ("SDXL", "kohya", "lokr", 4), ("SDXL", "kohya", "dora", 2), ("SD15", "kohya", "loha", 3),
         ("FLUX.1", "diffusers", "lora", 14), ("FLUX.1", "kohya", "lora", 8), ("SD3", "diffusers", "lora", 4),
         ("SDXL", "diffusers", "lora", 4))


def _factor(n: int, limit: int) -> int:
    f = 1
    for d in range(1, min(limit, n) + 1):
        if n % d == 0:
            f = d
    return f


def _module_shapes(module, naming: str, adapter: str, rank: int) -> list[tuple[str, list[int]]]:
    out_dim, in_dim, kernel = module.shape[0], module.shape[1], list(module.shape[2:])
    r = min(rank, out_dim, in_dim * max(1, math.prod(kernel)))
    n = module.name
    if adapter in ("lora", "dora"):
        kohya = naming == "kohya"
        down, up = (".lora_down.weight", ".lora_up.weight") if kohya else (".lora_A.weight", ".lora_B.weight")
        shapes = [(n + down, [r, in_dim, *kernel]), (n + up, [out_dim, r, *([1] * len(kernel))])]
        if adapter == "dora":
            shapes.append((n + ".dora_scale", [1, in_dim]))
    elif adapter == "loha":
        shapes = [(f"{n}.hada_{w}_{s}", [out_dim, r] if s == "a" else [r, in_dim * max(1, math.prod(kernel))])
                  for w in ("w1", "w2") for s in ("a", "b")]
    else:  # lokr, factored w2
        a, b = _factor(out_dim, 16), _factor(in_dim, 16)
        r2 = min(r, out_dim // a, in_dim // b)
        shapes = [(f"{n}.lokr_w1", [a, b]), (f"{n}.lokr_w2_a", [out_dim // a, r2]),
                  (f"{n}.lokr_w2_b", [r2, in_dim // b])]
    if naming == "kohya":
        shapes.append((n + ".alpha", []))
    return shapes


def tensor_table(arch: str, naming: str, adapter: str, rank: int, te: bool, module_set: str,
                 dtype: str) -> tuple[bytes, int]:
    """The tensor part of a header (after `__metadata__`, without the opening brace) and the data size."""
    modules = plan_modules(arch, naming, "lora", modules=module_set, text_encoder=te)
    entries, offset = [], 0
    width = 2 if dtype in ("F16", "BF16") else 4
    for m in modules:
        for key, shape in _module_shapes(m, naming, adapter, rank):
            n = max(1, math.prod(shape)) * width
            entries.append((key, {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + n]}))
            offset += n
    entries.sort()
    body = json.dumps(dict(entries), separators=(",", ":")).encode()
    return body[1:], offset


def _tag_frequency(rng: random.Random, name: str) -> dict:
    folders = {}
    for k in range(rng.choice((1, 1, 2, 3))):
        count = rng.randint(150, 700)
        tags = {}
        for i in range(count):
            base = rng.choice(TAG_WORDS)
            tags[f"{base} {rng.choice(WORDS)} {i}" if i > len(TAG_WORDS) else base] = rng.randint(1, 120)
        folders[f"{rng.randint(1, 20)}_{name}{'_' + str(k) if k else ''}"] = tags
    return folders


def kohya_metadata(rng: random.Random, arch: str, adapter: str, rank: int, name: str) -> dict[str, str]:
    tags = _tag_frequency(rng, name)
    dirs = {d: {"n_repeats": int(d.split("_")[0]), "img_count": rng.randint(10, 300)} for d in tags}
    buckets = {str(i): {"resolution": [512 + 64 * (i % 9), 1536 - 64 * (i % 9)], "count": rng.randint(1, 80)}
               for i in range(rng.randint(8, 40))}
    started = 1.68e9 + rng.random() * 6e7
    md = {
        "ss_session_id": str(rng.getrandbits(32)), "ss_training_started_at": str(started),
        "ss_training_finished_at": str(started + rng.random() * 2e4), "ss_output_name": name,
        "ss_learning_rate": str(rng.choice((1e-4, 5e-4, 1e-3))), "ss_text_encoder_lr": str(rng.choice((5e-5, 1e-4))),
        "ss_unet_lr": str(rng.choice((1e-4, 5e-4))),
        "ss_num_train_images": str(sum(d["img_count"] for d in dirs.values())),
        "ss_num_reg_images": "0", "ss_num_batches_per_epoch": str(rng.randint(20, 500)),
        "ss_num_epochs": str(rng.randint(4, 30)), "ss_epoch": str(rng.randint(1, 30)), "ss_batch_size_per_device": "2",
        "ss_total_batch_size": "2", "ss_gradient_checkpointing": "True", "ss_gradient_accumulation_steps": "1",
        "ss_max_train_steps": str(rng.randint(1000, 8000)), "ss_lr_warmup_steps": "0",
        "ss_lr_scheduler": rng.choice(("cosine", "constant", "cosine_with_restarts")),
        "ss_network_module": "networks.lora" if adapter == "lora" else "lycoris.kohya",
        "ss_network_dim": str(rank), "ss_network_alpha": str(rank / 2),
        "ss_network_args": json.dumps({"conv_dim": "8", "conv_alpha": "4",
        "algo": adapter} if adapter != "lora" else {}),
        "ss_mixed_precision": "bf16", "ss_full_fp16": "False", "ss_v2": "False",
        "ss_base_model_version": KOHYA_BASE[arch],
        "ss_clip_skip": rng.choice(("1", "2", "None")), "ss_max_token_length": "225", "ss_cache_latents": "True",
        "ss_seed": str(rng.getrandbits(31)), "ss_lowram": "False", "ss_noise_offset": str(rng.choice((0.0, 0.0357))),
        "ss_multires_noise_iterations": "None", "ss_multires_noise_discount": "0.3", "ss_adaptive_noise_scale": "None",
        "ss_zero_terminal_snr": "False", "ss_training_comment": "None",
        "ss_sd_scripts_commit_hash": f"{rng.getrandbits(160):040x}",
        "ss_optimizer": rng.choice(("bitsandbytes.optim.adamw.AdamW8bit", "prodigyopt.prodigy.Prodigy(decouple=True)")),
        "ss_max_grad_norm": "1.0", "ss_caption_dropout_rate": "0.0", "ss_caption_dropout_every_n_epochs": "0",
        "ss_caption_tag_dropout_rate": "0.0", "ss_face_crop_aug_range": "None", "ss_prior_loss_weight": "1.0",
        "ss_min_snr_gamma": rng.choice(("5.0", "None")), "ss_scale_weight_norms": "None", "ss_ip_noise_gamma": "None",
        "ss_debiased_estimation": "False", "ss_noise_offset_random_strength": "False", "ss_loss_type": "l2",
        "ss_huber_schedule": "snr", "ss_huber_c": "0.1", "ss_fp8_base": "False",
        "ss_steps": str(rng.randint(1000, 8000)),
        "ss_sd_model_name": f"{KOHYA_BASE[arch]}.safetensors", "ss_vae_name": "None",
        "ss_resolution": "(1024, 1024)" if arch != "SD15" else "(512, 512)", "ss_enable_bucket": "True",
        "ss_min_bucket_reso": "256", "ss_max_bucket_reso": "2048", "ss_keep_tokens": "1", "ss_shuffle_caption": "True",
        "ss_color_aug": "False", "ss_flip_aug": "False", "ss_random_crop": "False", "ss_bucket_no_upscale": "True",
        "ss_new_sd_model_hash": f"{rng.getrandbits(256):064x}", "ss_sd_model_hash": f"{rng.getrandbits(32):08x}",
        "sshs_model_hash": f"{rng.getrandbits(256):064x}", "sshs_legacy_hash": f"{rng.getrandbits(32):08x}",
        "ss_tag_frequency": json.dumps(tags), "ss_dataset_dirs": json.dumps(dirs),
        "ss_bucket_info": json.dumps({"buckets": buckets, "mean_img_ar_error": rng.random() / 10}),
        "modelspec.architecture": MODELSPEC[arch],
        "modelspec.implementation": "https://github.com/Stability-AI/generative-models",
        "modelspec.title": name, "modelspec.resolution": "1024x1024", "modelspec.sai_model_spec": "1.0.0",
        "modelspec.date": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(started)),
    }
    if rng.random() < 0.5:  # newer sd-scripts: per-dataset details, the tag frequency once more
        md["ss_datasets"] = json.dumps([{"is_dreambooth": True, "batch_size_per_device": 2, "num_train_images": 100,
                                         "resolution": [1024, 1024], "enable_bucket": True, "tag_frequency": tags,
                                         "bucket_info": {"buckets": buckets}, "subsets": [
                                             {"img_count": d["img_count"], "num_repeats": d["n_repeats"],
                                              "image_dir": k, "class_tokens": name, "keep_tokens": 1}
                                             for k, d in dirs.items()]}])
    return md


def peft_metadata(rng: random.Random, arch: str, name: str) -> dict[str, str]:
    if rng.random() < 0.5:
        return {"format": "pt"}
    return {"format": "pt", "modelspec.architecture": MODELSPEC[arch], "modelspec.title": name,
            "modelspec.sai_model_spec": "1.0.0", "training_info": json.dumps({"steps": rng.randint(500, 4000)})}


def make_library(root: Path, count: int, seed: int = 0) -> dict:
    """Write `count` LoRAs under `root`; {templates, seconds, header_bytes}."""
    rng = random.Random(seed)
    templates: dict[tuple, tuple[bytes, int]] = {}
    started = time.perf_counter()
    header_bytes = 0
    kinds, weights = [k[:3] for k in KINDS], [k[3] for k in KINDS]
    for i in range(count):
        arch, naming, adapter = rng.choices(kinds, weights)[0]
        rank = rng.choice((4, 8, 16, 32, 32, 64, 128) if adapter == "lora" else (4, 8, 16, 32))
        te = naming == "kohya" and arch in ("SD15", "SDXL") and rng.random() < 0.7
        module_set = "all" if rng.random() < 0.55 else "compact"
        dtype = "BF16" if rng.random() < 0.25 else "F16"
        key = (arch, naming, adapter, rank, te, module_set, dtype)
        if key not in templates:
            templates[key] = tensor_table(*key)
        tensors, data_size = templates[key]
        words = rng.sample(WORDS, 2)
        name = f"{words[0]}_{words[1]}_{i:05d}"
        md = kohya_metadata(rng, arch, adapter, rank, name) if naming == "kohya" else peft_metadata(rng, arch, name)
        raw = b'{"__metadata__":' + json.dumps(md, separators=(",", ":")).encode() + b"," + tensors
        raw += b" " * (-len(raw) % 8)
        header_bytes += len(raw)
        folder = root / rng.choice(FOLDERS) / arch.lower().replace(".", "")
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.safetensors"
        with open(path, "wb") as f:
            f.write(len(raw).to_bytes(8, "little"))
            f.write(raw)
            f.truncate(8 + len(raw) + data_size)  # sparse: the tensor data takes no disk
        if i % 3 == 0:
            side = {"model_name": f"{words[0]} {words[1]}", "base_model": arch, "tags": [rng.choice(FOLDERS)],
                    "civitai": {"trainedWords": words}}
            (folder / f"{path.stem}.metadata.json").write_text(json.dumps(side))
            (folder / f"{path.stem}.preview.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    return {"templates": len(templates), "seconds": time.perf_counter() - started, "header_bytes": header_bytes}
