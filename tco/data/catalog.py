"""Default catalog: the rows the template and the example scenario start from.

Every value comes from `shared/reference/` (README,
`chip_specs_china_market.csv` = "CN", `published_figures.csv` = "PUB") or from the
customer's survey (`seed/000_260e02a8be88c4c6.txt`, tables 2-9 = "seed table N"). Each
row keeps the source text in `source`; every published range or conflict between
sources is an `Uncertainty` row, with the nominal value inside [low, high].

Conventions
- Throughput is DENSE peak (no 2:4 sparsity): H100 BF16 is 989.5, not the seed's
  1,979. Where a chip publishes FP16 only, `bf16_tflops` holds the FP16 figure and the
  source says so. `fp8_tflops` is filled only where FP8 exists in hardware (Hopper,
  Blackwell, H20/H800); `int8_tops` only where a figure is published.
- `scaleup_bw_gbs` is per card, ONE direction: half of a vendor's bidirectional
  aggregate (NVLink4 900 GB/s -> 450; NVLink5 1.8 TB/s -> 900; A800/H800 400 -> 200;
  Ascend HCCS 392 aggregate -> 196, matching the simulator's 196). Huawei's UB figure
  for the 910C (392) is already unidirectional. PCIe-only cards use PCIe4 x16 at
  25 GB/s effective (32 GB/s line rate) and a domain of the 8 cards behind one switch.
- `scaleup_domain` = cards reachable over the scale-up link: 8 for HGX and the Atlas
  800T A2 HCCS mesh, 72 for GB200 NVL72 (4 cards per compute tray, so domain > node),
  384 for the 910C because it ships as the CloudMatrix 384 supernode whose UB
  all-to-all optical network gives every NPU 392 GB/s to all 384 others; the 910C
  card/node prices are split from the $8.2M system price so the UB network is paid.
- Money is USD. `node_price` is the host server without the cards (HGX host ~50k USD =
  DGX H100 $270k minus 8 x $27.5k); `node_power_w` is host power without the cards
  (DGX H100 10.2 kW - 8 x 700 W = 4.6 kW).
- No public price exists for the Chinese parts (and for H200/Blackwell in the
  reference): those prices are PLACEHOLDERS, `price_confidence` "low", wide price
  ranges in `Uncertainty`, and the source text says "placeholder". The report
  flags them; replace them with quotes.
- `train_mfu` is the matrix efficiency the software stack reaches BEFORE communication
  and pipeline bubbles, which the performance model adds itself (docs/
  performance-model.md). End-to-end 6ND MFU of NVIDIA A100 runs in PUB is 0.33-0.48
  (Megatron 52% HFU -> 0.39; LLaMA-1 65B 0.476; GLM-130B 0.325; BLOOM 50% HFU -> 0.375;
  Epoch median 0.375); the model reproduces those runs with 0.50, the value used for
  every CUDA Ampere/Hopper part (the NVLink cut of A800/H800 and the small compute of
  the H20 are in their own columns, not here). Other stacks have no published MFU: their
  end-to-end judgement (Ascend CANN 0.30-0.32, Cambricon/Enflame/Hygon 0.15-0.28,
  Blackwell 0.35-0.37 for its young software) is scaled by the same 0.50/0.40 = 1.25
  ratio (confidence low).
- `migration_cost` is a one-off placeholder porting cost per software stack (CUDA 0).
- Fabric `efficiency` is achieved/line rate in NCCL all-reduce (IB NDR NIC: 46-48 of
  50 GB/s).
"""

from __future__ import annotations

CN = "reference/chip_specs_china_market.csv"
PUB = "reference/published_figures.csv"
SEED = "seed 000_260e02a8be88c4c6"

# Shared host-server assumptions (USD, W); see the module docstring.
HGX_HOST_PRICE = 50_000.0  # DGX H100 $270k (SemiAnalysis, PUB) - 8 x $27.5k cards
HGX_HOST_POWER = 4_600.0  # DGX H100 10.2 kW (PUB) - 8 x 700 W
PCIE_HOST_PRICE = 25_000.0  # placeholder: 2-socket 8-slot PCIe server, no published price
PCIE_HOST_POWER = 1_800.0  # placeholder: 2 CPUs, fans, NICs, drives
ATLAS_HOST_PRICE = 35_000.0  # placeholder: Atlas 800T A2 host (2x Kunpeng 920), no price
ATLAS_HOST_POWER = 3_000.0  # Atlas 800T A2 6,200 W (CN, low) - 8 x 400 W

# One-off porting cost per software stack (USD, placeholders, confidence low).
MIGRATION = {
    "CUDA": 0.0,
    "CANN": 1_500_000.0,
    "Neuware": 2_000_000.0,
    "TopsRider": 2_000_000.0,
    "DTK": 800_000.0,
}
_MIG = "migration_cost placeholder (confidence low)"


# --------------------------------------------------------------------------------------
# Chips
# --------------------------------------------------------------------------------------
CHIPS: list[dict[str, object]] = [
    # --- Huawei Ascend (CANN) ---------------------------------------------------------
    {
        "chip_id": "ascend-910b",
        "vendor": "Huawei",
        "name": "Ascend 910B (Atlas 800T A2)",
        "origin": "domestic",
        "available": True,
        "bf16_tflops": 320.0,
        "int8_tops": 640.0,
        "memory_gb": 64.0,
        "memory_bw_gbs": 1600.0,
        "scaleup_link": "HCCS",
        "scaleup_bw_gbs": 196.0,
        "scaleup_domain": 8,
        "cards_per_node": 8,
        "nics_per_node": 8,
        "tdp_w": 400.0,
        "card_price": 15_000.0,
        "node_price": ATLAS_HOST_PRICE,
        "node_power_w": ATLAS_HOST_POWER,
        "train_mfu": 0.40,
        "mem_bw_efficiency": 0.6,
        "cooling_required": "any",
        "integrated_nic": True,
        "software_stack": "CANN",
        "migration_cost": MIGRATION["CANN"],
        "price_confidence": "low",
        "confidence": "medium",
        "source": f"{CN}: FP16/BF16 dense 320, INT8 640, 64 GB HBM2e, TDP 400 W "
        "(arthurchiao gpu-data-sheets); mem_bw 1600 (CANN platform_config INI, "
        "gitcode cann/ops-cv #997); HCCS 392 GB/s aggregate full mesh of 8 -> 196 "
        "one direction; 8x200GE RoCE on the NPUs (Atlas 800T A2); host 6,200 W; "
        f"{SEED} table 2 (280-320 TFLOPS, ~400 GB/s, ~310 W). placeholder: no "
        "public price (CN 'price not found'). train_mfu judgement (no published "
        f"CANN MFU), low. {_MIG}",
    },
    {
        "chip_id": "ascend-910b3",
        "vendor": "Huawei",
        "name": "Ascend 910B3",
        "origin": "domestic",
        "available": True,
        "bf16_tflops": 294.9,
        "int8_tops": 589.8,
        "memory_gb": 64.0,
        "memory_bw_gbs": 1600.0,
        "scaleup_link": "HCCS",
        "scaleup_bw_gbs": 196.0,
        "scaleup_domain": 8,
        "cards_per_node": 8,
        "nics_per_node": 8,
        "tdp_w": 400.0,
        "card_price": 14_000.0,
        "node_price": ATLAS_HOST_PRICE,
        "node_power_w": ATLAS_HOST_POWER,
        "train_mfu": 0.40,
        "mem_bw_efficiency": 0.6,
        "cooling_required": "any",
        "integrated_nic": True,
        "software_stack": "CANN",
        "migration_cost": MIGRATION["CANN"],
        "price_confidence": "low",
        "confidence": "medium",
        "source": f"{CN}: 910B3 FP16/BF16 294.9 (20 cores x 8192 FLOP/clk x 1.8 GHz), INT8 "
        "589.8, mem_bw 1600, HCCS 196 (github JiusiServe/light-llm-simulator "
        "hardware_config.py); 64 GB (HAMi device-configmap); TDP not published, "
        f"910B value 400 W used; {SEED} table 2 (same 280-320 range, HBM ~1.2 TB/s). "
        f"placeholder: no public price. {_MIG}",
    },
    {
        "chip_id": "ascend-910c",
        "vendor": "Huawei",
        "name": "Ascend 910C (CloudMatrix 384)",
        "origin": "domestic",
        "available": True,
        "bf16_tflops": 752.0,
        "int8_tops": 1416.0,
        "memory_gb": 128.0,
        "memory_bw_gbs": 3200.0,
        "scaleup_link": "UB (CloudMatrix 384)",
        "scaleup_bw_gbs": 392.0,
        "scaleup_domain": 384,
        "cards_per_node": 8,
        "nics_per_node": 8,
        "tdp_w": 800.0,
        "card_price": 16_000.0,
        "node_price": 43_000.0,
        "node_power_w": 5_000.0,
        "train_mfu": 0.38,
        "mem_bw_efficiency": 0.6,
        "cooling_required": "any",
        "integrated_nic": True,
        "software_stack": "CANN",
        "migration_cost": MIGRATION["CANN"],
        "price_confidence": "low",
        "confidence": "medium",
        "source": f"{CN}: BF16 dense 752 = 2 x 376 (arXiv 2506.12708; The Register), 708 "
        "cube-only, 780 (SemiAnalysis), 800 (Huawei Connect 2025); INT8 ~1416 "
        "derived (low); 128 GB, 3.2 TB/s (The Register 2025-07-29); UB 392 GB/s "
        "unidirectional, 384 NPUs per supernode, 8 per node (arXiv 2506.12708). "
        "TDP not published: 800 W estimate (2 dies of ~400 W); 559 kW / 384 = "
        "1,456 W all-in. placeholder: no per-chip price; split of CloudMatrix 384 "
        "$8.2M (capacitymedia, 2025-07) = 384 x 16k + 48 nodes x 43k (node share "
        "includes Kunpeng hosts and the UB optical network); node power = 559 kW/48 "
        f"- 8 x 800 W. {SEED} table 2 ('about 800 TFLOPS'). {_MIG}",
    },
    # --- Cambricon (Neuware) ----------------------------------------------------------
    {
        "chip_id": "mlu370-x4",
        "vendor": "Cambricon",
        "name": "MLU370-X4",
        "origin": "domestic",
        "available": True,
        "bf16_tflops": 96.0,
        "int8_tops": 256.0,
        "fp32_tflops": 24.0,
        "memory_gb": 24.0,
        "memory_bw_gbs": 307.2,
        "scaleup_link": "PCIe4",
        "scaleup_bw_gbs": 25.0,
        "scaleup_domain": 8,
        "cards_per_node": 8,
        "nics_per_node": 4,
        "tdp_w": 150.0,
        "card_price": 3_000.0,
        "node_price": PCIE_HOST_PRICE,
        "node_power_w": PCIE_HOST_POWER,
        "train_mfu": 0.28,
        "mem_bw_efficiency": 0.55,
        "cooling_required": "any",
        "integrated_nic": False,
        "software_stack": "Neuware",
        "migration_cost": MIGRATION["Neuware"],
        "price_confidence": "low",
        "confidence": "low",
        "source": f"{SEED} 5.2 and table 3: FP16 ~96 (BF16 assumed equal), FP32 ~24, INT8 256, "
        f"24 GB LPDDR5, ~307.2 GB/s, ~150 W; {CN}: 24 GB and ~307 GB/s inferred "
        "(single chip), other X4 fields not found. PCIe4 x16 ~25 GB/s effective. "
        f"placeholder: no public price. train_mfu judgement, low. {_MIG}",
    },
    {
        "chip_id": "mlu370-x8",
        "vendor": "Cambricon",
        "name": "MLU370-X8",
        "origin": "domestic",
        "available": True,
        "bf16_tflops": 96.0,
        "int8_tops": 256.0,
        "fp32_tflops": 32.0,
        "memory_gb": 48.0,
        "memory_bw_gbs": 614.4,
        "scaleup_link": "MLU-Link",
        "scaleup_bw_gbs": 100.0,
        "scaleup_domain": 4,
        "cards_per_node": 8,
        "nics_per_node": 8,
        "tdp_w": 250.0,
        "card_price": 6_000.0,
        "node_price": PCIE_HOST_PRICE,
        "node_power_w": PCIE_HOST_POWER,
        "train_mfu": 0.31,
        "mem_bw_efficiency": 0.55,
        "cooling_required": "any",
        "integrated_nic": False,
        "software_stack": "Neuware",
        "migration_cost": MIGRATION["Neuware"],
        "price_confidence": "low",
        "confidence": "medium",
        "source": f"{CN} and {PUB}: Cambricon launch 2022-03-21 (guangxilong.com; "
        "rencaizhenjiang.com): FP16/BF16 96 per card (dense assumed), FP32 32, INT8 "
        "256, 48 GB LPDDR5, 614.4 GB/s, 250 W, MLU-Link 200 GB/s per card -> 100 one "
        f"direction, bridge of 4 cards, 8 per server; {SEED} table 3 (48 GB "
        "'estimated', ~250 W). placeholder: no public price (CN 'price not found'). "
        f"train_mfu judgement, low. {_MIG}",
    },
    {
        "chip_id": "mlu370-s4",
        "vendor": "Cambricon",
        "name": "MLU370-S4 (inference)",
        "origin": "domestic",
        "available": True,
        "bf16_tflops": 72.0,
        "memory_gb": 24.0,
        "memory_bw_gbs": 307.2,
        "scaleup_link": "PCIe4",
        "scaleup_bw_gbs": 25.0,
        "scaleup_domain": 8,
        "cards_per_node": 8,
        "nics_per_node": 4,
        "tdp_w": 75.0,
        "card_price": 1_500.0,
        "node_price": PCIE_HOST_PRICE,
        "node_power_w": PCIE_HOST_POWER,
        "train_mfu": 0.19,
        "mem_bw_efficiency": 0.5,
        "cooling_required": "any",
        "integrated_nic": False,
        "software_stack": "Neuware",
        "migration_cost": MIGRATION["Neuware"],
        "price_confidence": "low",
        "confidence": "low",
        "source": f"{SEED} 5.1 and table 3: low-power PCIe Gen4 card ~75 W, 'depends on model'; "
        f"{CN}: 24 GB LPDDR5 inferred (single 思元370), other fields not found. "
        "placeholder: FP16 72 (75% of the 150 W X4's 96, used as BF16), bandwidth "
        "= X4's 307.2; no public price (anchored on Atlas 300I Duo 'under $1,500', "
        f"3dnews.ru). Inference card: train_mfu low. {_MIG}",
    },
    {
        "chip_id": "mlu590",
        "vendor": "Cambricon",
        "name": "MLU590 (思元590)",
        "origin": "domestic",
        "available": True,
        "bf16_tflops": 314.0,
        "memory_gb": 80.0,
        "memory_bw_gbs": 2048.0,
        "scaleup_link": "MLU-Link",
        "scaleup_bw_gbs": 159.4,
        "scaleup_domain": 8,
        "cards_per_node": 8,
        "nics_per_node": 8,
        "tdp_w": 350.0,
        "card_price": 12_000.0,
        "node_price": PCIE_HOST_PRICE,
        "node_power_w": PCIE_HOST_POWER,
        "train_mfu": 0.35,
        "mem_bw_efficiency": 0.55,
        "cooling_required": "any",
        "integrated_nic": False,
        "software_stack": "Neuware",
        "migration_cost": MIGRATION["Neuware"],
        "price_confidence": "low",
        "confidence": "low",
        "source": f"{SEED} 5.2 and table 4: FP16 ~314 (used as BF16), 80 GB, ~2048 GB/s, "
        "interconnect ~318.8 GB/s (taken as bidirectional -> 159.4 one direction), "
        f"max 350 W; {CN}: specs not disclosed by Cambricon, 80 GB unverified (low). "
        f"placeholder: no public price. train_mfu judgement, low. {_MIG}",
    },
    # --- Enflame (TopsRider) ----------------------------------------------------------
    {
        "chip_id": "enflame-t10",
        "vendor": "Enflame",
        "name": "CloudBlazer T10 (DTU 1.0)",
        "origin": "domestic",
        "available": True,
        "bf16_tflops": 80.0,
        "memory_gb": 16.0,
        "memory_bw_gbs": 512.0,
        "scaleup_link": "GCU-LARE",
        "scaleup_bw_gbs": 100.0,
        "scaleup_domain": 4,
        "cards_per_node": 8,
        "nics_per_node": 8,
        "tdp_w": 300.0,
        "card_price": 4_000.0,
        "node_price": PCIE_HOST_PRICE,
        "node_power_w": PCIE_HOST_POWER,
        "train_mfu": 0.25,
        "mem_bw_efficiency": 0.5,
        "cooling_required": "any",
        "integrated_nic": False,
        "software_stack": "TopsRider",
        "migration_cost": MIGRATION["TopsRider"],
        "price_confidence": "low",
        "confidence": "low",
        "source": f"{CN}: GCU-LARE 200 GB/s (4 ports) -> 100 one direction, 4 cards direct-"
        "connected, 8 per chassis, HBM2 capacity not given (servethehome Hot Chips "
        "33); TFLOPS, TDP, price not found. placeholder: BF16 80, 16 GB at 512 GB/s "
        "(i10-class memory), 300 W (T20 PCIe class); no public price. "
        f"{SEED} table 5 (12nm training card, early commercial). {_MIG}",
    },
    {
        "chip_id": "enflame-t20",
        "vendor": "Enflame",
        "name": "CloudBlazer T20 (Suisi 2.0)",
        "origin": "domestic",
        "available": True,
        "bf16_tflops": 128.0,
        "int8_tops": 256.0,
        "fp32_tflops": 32.0,
        "memory_gb": 32.0,
        "memory_bw_gbs": 1600.0,
        "scaleup_link": "GCU-LARE",
        "scaleup_bw_gbs": 150.0,
        "scaleup_domain": 8,
        "cards_per_node": 8,
        "nics_per_node": 8,
        "tdp_w": 300.0,
        "card_price": 6_000.0,
        "node_price": PCIE_HOST_PRICE,
        "node_power_w": PCIE_HOST_POWER,
        "train_mfu": 0.28,
        "mem_bw_efficiency": 0.5,
        "cooling_required": "any",
        "integrated_nic": False,
        "software_stack": "TopsRider",
        "migration_cost": MIGRATION["TopsRider"],
        "price_confidence": "low",
        "confidence": "low",
        "source": f"{CN}: FP16/BF16 128 per card (Enflame slides transcription, low; dense vs "
        "sparse not stated), FP32 32, INT8 256 (mydrivers 2021-07-08), 32 GB HBM2E at "
        "1600 GB/s (low), GCU-LARE 300 GB/s (6 ports) -> 150 one direction, 300 W "
        f"PCIe (T21 OAM 400 W). placeholder: no public price. {_MIG}",
    },
    {
        "chip_id": "enflame-i20",
        "vendor": "Enflame",
        "name": "CloudBlazer i20 (inference)",
        "origin": "domestic",
        "available": True,
        "bf16_tflops": 128.0,
        "int8_tops": 256.0,
        "fp32_tflops": 32.0,
        "memory_gb": 16.0,
        "memory_bw_gbs": 819.0,
        "scaleup_link": "PCIe4",
        "scaleup_bw_gbs": 25.0,
        "scaleup_domain": 8,
        "cards_per_node": 8,
        "nics_per_node": 4,
        "tdp_w": 150.0,
        "card_price": 2_000.0,
        "node_price": PCIE_HOST_PRICE,
        "node_power_w": PCIE_HOST_POWER,
        "train_mfu": 0.19,
        "mem_bw_efficiency": 0.5,
        "cooling_required": "any",
        "integrated_nic": False,
        "software_stack": "TopsRider",
        "migration_cost": MIGRATION["TopsRider"],
        "price_confidence": "low",
        "confidence": "low",
        "source": f"{CN}: FP16/BF16 128, FP32 32, INT8 256, 16 GB HBM2E, 150 W (Enflame slides "
        "transcription, low; laoliapi.cn ~140 T / 48 GB conflicts), 819 GB/s "
        "(mydrivers 2021-12-08). PCIe4 x16 ~25 GB/s. placeholder: no public price. "
        f"Inference card: train_mfu low. {_MIG}",
    },
    {
        "chip_id": "enflame-s60",
        "vendor": "Enflame",
        "name": "S60 (inference)",
        "origin": "domestic",
        "available": True,
        "bf16_tflops": 140.0,
        "memory_gb": 48.0,
        "memory_bw_gbs": 600.0,
        "scaleup_link": "PCIe4",
        "scaleup_bw_gbs": 25.0,
        "scaleup_domain": 8,
        "cards_per_node": 8,
        "nics_per_node": 4,
        "tdp_w": 200.0,
        "card_price": 2_500.0,
        "node_price": PCIE_HOST_PRICE,
        "node_power_w": PCIE_HOST_POWER,
        "train_mfu": 0.19,
        "mem_bw_efficiency": 0.5,
        "cooling_required": "any",
        "integrated_nic": False,
        "software_stack": "TopsRider",
        "migration_cost": MIGRATION["TopsRider"],
        "price_confidence": "low",
        "confidence": "low",
        "source": f"{CN}: FP16/BF16/INT8/FP32 supported, no FP8 (ai.gitee.com ef_gpu); "
        "TFLOPS, memory, TDP, price not found. placeholder: BF16 140, 48 GB at 600 "
        "GB/s, 200 W (i20 successor class; wide ranges in Uncertainty); no public "
        f"price. {SEED} table 5 (inference card, 70,000-card deployments). "
        f"Inference card: train_mfu low. {_MIG}",
    },
    {
        "chip_id": "enflame-l600",
        "vendor": "Enflame",
        "name": "L600 (train+infer)",
        "origin": "domestic",
        "available": True,
        "bf16_tflops": 400.0,
        "memory_gb": 96.0,
        "memory_bw_gbs": 2000.0,
        "scaleup_link": "GCU-LARE",
        "scaleup_bw_gbs": 200.0,
        "scaleup_domain": 8,
        "cards_per_node": 8,
        "nics_per_node": 8,
        "tdp_w": 500.0,
        "card_price": 10_000.0,
        "node_price": PCIE_HOST_PRICE,
        "node_power_w": PCIE_HOST_POWER,
        "train_mfu": 0.31,
        "mem_bw_efficiency": 0.5,
        "cooling_required": "any",
        "integrated_nic": False,
        "software_stack": "TopsRider",
        "migration_cost": MIGRATION["TopsRider"],
        "price_confidence": "low",
        "confidence": "low",
        "source": f"{CN}: all fields not found. placeholder: every figure is a judgement for a "
        f"2025 train+infer card (wide ranges in Uncertainty); {SEED} table 5 "
        f"(L600/OGX training-inference line, new product). {_MIG}",
    },
    # --- Hygon DCU (DTK, CUDA-like) ---------------------------------------------------
    {
        "chip_id": "hygon-z100",
        "vendor": "Hygon",
        "name": "DCU Z100 (gfx906)",
        "origin": "domestic",
        "available": True,
        "bf16_tflops": 125.0,
        "memory_gb": 32.0,
        "memory_bw_gbs": 1000.0,
        "scaleup_link": "xGMI",
        "scaleup_bw_gbs": 92.0,
        "scaleup_domain": 4,
        "cards_per_node": 8,
        "nics_per_node": 8,
        "tdp_w": 300.0,
        "card_price": 4_000.0,
        "node_price": PCIE_HOST_PRICE,
        "node_power_w": PCIE_HOST_POWER,
        "train_mfu": 0.31,
        "mem_bw_efficiency": 0.6,
        "cooling_required": "any",
        "integrated_nic": False,
        "software_stack": "DTK",
        "migration_cost": MIGRATION["DTK"],
        "price_confidence": "low",
        "confidence": "low",
        "source": f"{CN} (Hygon DCU survey citing 未来智库, all low): FP16 180 analyst figure "
        "grouped with K100-AI, ~90 for 深算一号; 16-32 GB HBM2, ~1000 GB/s, ~300 W, "
        "xGMI 184 -> 92 one direction (4-card hive assumed). Nominal FP16 (used as "
        f"BF16) 125 = {SEED} table 6 '~40%+ of A100' x 312. placeholder: no public "
        f"price. {_MIG}",
    },
    {
        "chip_id": "hygon-k100-ai",
        "vendor": "Hygon",
        "name": "DCU K100-AI (gfx928)",
        "origin": "domestic",
        "available": True,
        "bf16_tflops": 196.0,
        "memory_gb": 64.0,
        "memory_bw_gbs": 896.0,
        "scaleup_link": "xGMI",
        "scaleup_bw_gbs": 50.0,
        "scaleup_domain": 8,
        "cards_per_node": 8,
        "nics_per_node": 8,
        "tdp_w": 400.0,
        "card_price": 8_000.0,
        "node_price": PCIE_HOST_PRICE,
        "node_power_w": PCIE_HOST_POWER,
        "train_mfu": 0.35,
        "mem_bw_efficiency": 0.6,
        "cooling_required": "any",
        "integrated_nic": False,
        "software_stack": "DTK",
        "migration_cost": MIGRATION["DTK"],
        "price_confidence": "low",
        "confidence": "low",
        "source": f"{PUB}: FP16/BF16 196, 64 GB, 896 GB/s (github wangzy0327/hblas-bench "
        f"'official spec'); {CN}: 180 analyst / ~200 blog, ~1200 GB/s est., 400 W, "
        "PCIe Gen4 FHFL, 8 per server, xGMI bandwidth not disclosed (placeholder 50 "
        f"one direction). placeholder: no public price. {_MIG}",
    },
    {
        "chip_id": "hygon-bw1000",
        "vendor": "Hygon",
        "name": "DCU BW1000 (深算三号, gfx936)",
        "origin": "domestic",
        "available": True,
        "bf16_tflops": 192.0,
        "int8_tops": 392.0,
        "fp32_tflops": 49.0,
        "memory_gb": 64.0,
        "memory_bw_gbs": 1600.0,
        "scaleup_link": "xGMI",
        "scaleup_bw_gbs": 92.0,
        "scaleup_domain": 8,
        "cards_per_node": 8,
        "nics_per_node": 8,
        "tdp_w": 450.0,
        "card_price": 12_000.0,
        "node_price": PCIE_HOST_PRICE,
        "node_power_w": PCIE_HOST_POWER,
        "train_mfu": 0.35,
        "mem_bw_efficiency": 0.6,
        "cooling_required": "any",
        "integrated_nic": False,
        "software_stack": "DTK",
        "migration_cost": MIGRATION["DTK"],
        "price_confidence": "low",
        "confidence": "low",
        "source": f"{CN}: specs not disclosed by Hygon; circulating forum figures BF16/FP16 192, "
        "FP32 49, INT8 392 (Eastmoney guba, low); released 2025. "
        f"{PUB}: BW200 480 TFLOPS, 64 GB, 1.6 TB/s (low-medium) bounds the range. "
        "placeholder: memory 64 GB / 1600 GB/s (BW200), 450 W, xGMI 92; no public "
        f"price. {_MIG}",
    },
    # --- NVIDIA (CUDA) ----------------------------------------------------------------
    {
        "chip_id": "a100",
        "vendor": "NVIDIA",
        "name": "A100 SXM4 80GB",
        "origin": "import",
        "available": True,
        "bf16_tflops": 312.0,
        "int8_tops": 624.0,
        "fp32_tflops": 19.5,
        "memory_gb": 80.0,
        "memory_bw_gbs": 2039.0,
        "scaleup_link": "NVLink3",
        "scaleup_bw_gbs": 300.0,
        "scaleup_domain": 8,
        "cards_per_node": 8,
        "nics_per_node": 8,
        "tdp_w": 400.0,
        "card_price": 15_000.0,
        "node_price": 45_000.0,
        "node_power_w": 3_300.0,
        "train_mfu": 0.50,
        "mem_bw_efficiency": 0.75,
        "cooling_required": "any",
        "integrated_nic": False,
        "software_stack": "CUDA",
        "migration_cost": 0.0,
        "price_confidence": "medium",
        "confidence": "high",
        "source": f"{PUB}: NVIDIA A100 datasheet (312 dense BF16, 624 sparse; 80 GB, 2039 GB/s; "
        "NVLink 600 GB/s -> 300 one direction; 400 W); DGX A100 6.5 kW - 8 x 400 W; "
        "price: DGX A100 $199k launch ($24,875/GPU incl. server) / Epoch server "
        "overhead 1.66 -> ~$15k card, rest host. train_mfu 0.50: pre-communication "
        "efficiency that reproduces the A100 runs (end-to-end 6ND MFU: Megatron 52% HFU "
        "x 3/4 = 0.39, LLaMA-1 65B 0.476, GLM-130B 0.325, BLOOM 0.375; see "
        f"docs/performance-model.md). {SEED} table 7.",
    },
    {
        "chip_id": "a800",
        "vendor": "NVIDIA",
        "name": "A800 SXM4 80GB",
        "origin": "import",
        "available": True,
        "bf16_tflops": 312.0,
        "int8_tops": 624.0,
        "fp32_tflops": 19.5,
        "memory_gb": 80.0,
        "memory_bw_gbs": 2039.0,
        "scaleup_link": "NVLink3",
        "scaleup_bw_gbs": 200.0,
        "scaleup_domain": 8,
        "cards_per_node": 8,
        "nics_per_node": 8,
        "tdp_w": 400.0,
        "card_price": 12_000.0,
        "node_price": 45_000.0,
        "node_power_w": 3_300.0,
        "train_mfu": 0.50,
        "mem_bw_efficiency": 0.75,
        "cooling_required": "any",
        "integrated_nic": False,
        "software_stack": "CUDA",
        "migration_cost": 0.0,
        "price_confidence": "medium",
        "confidence": "medium",
        "source": f"{CN}: = A100 except NVLink 400 GB/s -> 200 one direction (globaltimes.cn "
        "2022-11-08; arthurchiao data sheets); 312 dense, INT8 624, no FP8, 80 GB, "
        "2039 GB/s SXM, 400 W SXM; price ~$12,000 per card (m.boke.042.cn 2023-06, "
        "low-trust source). Host as A100. train_mfu as A100 (the NVLink cut is in "
        "scaleup_bw_gbs).",
    },
    {
        "chip_id": "h100",
        "vendor": "NVIDIA",
        "name": "H100 SXM5 80GB",
        "origin": "import",
        "available": True,
        "bf16_tflops": 989.5,
        "fp8_tflops": 1979.0,
        "int8_tops": 1979.0,
        "fp32_tflops": 67.0,
        "memory_gb": 80.0,
        "memory_bw_gbs": 3350.0,
        "scaleup_link": "NVLink4",
        "scaleup_bw_gbs": 450.0,
        "scaleup_domain": 8,
        "cards_per_node": 8,
        "nics_per_node": 8,
        "tdp_w": 700.0,
        "card_price": 27_500.0,
        "node_price": HGX_HOST_PRICE,
        "node_power_w": HGX_HOST_POWER,
        "train_mfu": 0.50,
        "mem_bw_efficiency": 0.8,
        "cooling_required": "any",
        "integrated_nic": False,
        "software_stack": "CUDA",
        "migration_cost": 0.0,
        "price_confidence": "medium",
        "confidence": "high",
        "source": f"{PUB}: NVIDIA H100 product page: BF16 989.5 dense (seed's 1,979 is sparse), "
        "FP8 1,979 dense, 3.35 TB/s, NVLink4 900 GB/s -> 450 one direction, 700 W; "
        "price $25k-30k (Raymond James via Barron's), DGX H100 $270k (SemiAnalysis) "
        "-> host $50k; DGX H100 10.2 kW - 8 x 700 W = 4.6 kW. train_mfu 0.50 as A100 "
        f"(calibrated, docs/performance-model.md). {SEED} table 7.",
    },
    {
        "chip_id": "h200",
        "vendor": "NVIDIA",
        "name": "H200 SXM 141GB",
        "origin": "import",
        "available": True,
        "bf16_tflops": 989.5,
        "fp8_tflops": 1979.0,
        "int8_tops": 1979.0,
        "fp32_tflops": 67.0,
        "memory_gb": 141.0,
        "memory_bw_gbs": 4800.0,
        "scaleup_link": "NVLink4",
        "scaleup_bw_gbs": 450.0,
        "scaleup_domain": 8,
        "cards_per_node": 8,
        "nics_per_node": 8,
        "tdp_w": 700.0,
        "card_price": 30_000.0,
        "node_price": HGX_HOST_PRICE,
        "node_power_w": HGX_HOST_POWER,
        "train_mfu": 0.50,
        "mem_bw_efficiency": 0.8,
        "cooling_required": "any",
        "integrated_nic": False,
        "software_stack": "CUDA",
        "migration_cost": 0.0,
        "price_confidence": "low",
        "confidence": "high",
        "source": f"{PUB}: H200 product page: 141 GB HBM3e, 4.8 TB/s, same GH100 compute as "
        "H100 (989.5 dense), up to 700 W, NVLink 900 GB/s -> 450; NCCL 8-GPU busbw "
        "475 GB/s (nccl-tests #272). placeholder: no card price in the reference; "
        "$30k = H100 $27.5k x AWS Capacity Blocks p5e/p5 ratio 5.408/4.916. "
        f"{SEED} table 7.",
    },
    {
        "chip_id": "h800",
        "vendor": "NVIDIA",
        "name": "H800 SXM 80GB",
        "origin": "import",
        "available": True,
        "bf16_tflops": 989.5,
        "fp8_tflops": 1979.0,
        "int8_tops": 1979.0,
        "fp32_tflops": 67.0,
        "memory_gb": 80.0,
        "memory_bw_gbs": 3350.0,
        "scaleup_link": "NVLink4",
        "scaleup_bw_gbs": 200.0,
        "scaleup_domain": 8,
        "cards_per_node": 8,
        "nics_per_node": 8,
        "tdp_w": 700.0,
        "card_price": 40_000.0,
        "node_price": HGX_HOST_PRICE,
        "node_power_w": HGX_HOST_POWER,
        "train_mfu": 0.50,
        "mem_bw_efficiency": 0.8,
        "cooling_required": "any",
        "integrated_nic": False,
        "software_stack": "CUDA",
        "migration_cost": 0.0,
        "price_confidence": "medium",
        "confidence": "medium",
        "source": f"{CN}: same compute as H100 SXM (philisun.com: 989 dense, FP8/INT8 1979), 80 "
        "GB, 3350 GB/s; NVLink 400 GB/s -> 200 one direction (aiwiki); TDP 700 "
        "assumed (550 W cap claimed, low); price: 8-GPU server RMB 2.3M -> >2.7M "
        "(Caixin 2023-10) ~ $375k at 7.2 CNY/USD = $40k/card after the $50k host; "
        "single card RMB 350-400k grey market. train_mfu as H100 (the NVLink cut is in "
        "scaleup_bw_gbs).",
    },
    {
        "chip_id": "h20",
        "vendor": "NVIDIA",
        "name": "H20 96GB",
        "origin": "import",
        "available": True,
        "bf16_tflops": 148.0,
        "fp8_tflops": 296.0,
        "int8_tops": 296.0,
        "fp32_tflops": 44.0,
        "memory_gb": 96.0,
        "memory_bw_gbs": 4000.0,
        "scaleup_link": "NVLink4",
        "scaleup_bw_gbs": 450.0,
        "scaleup_domain": 8,
        "cards_per_node": 8,
        "nics_per_node": 8,
        "tdp_w": 400.0,
        "card_price": 12_500.0,
        "node_price": HGX_HOST_PRICE,
        "node_power_w": HGX_HOST_POWER,
        "train_mfu": 0.50,
        "mem_bw_efficiency": 0.8,
        "cooling_required": "any",
        "integrated_nic": False,
        "software_stack": "CUDA",
        "migration_cost": 0.0,
        "price_confidence": "medium",
        "confidence": "medium",
        "source": f"{CN}: BF16 148 dense, FP8/INT8 296, 96 GB HBM3 (tomshardware 2024-02; "
        "Chiao's 80 GB superseded), 4.0 TB/s, NVLink 900 -> 450, 8 per HGX, 400 W "
        "(tweaktown 95224); price >$12,000 per GPU (FT 2024); server RMB 0.97-1.2M "
        "(2025-08) ~ $135-167k consistent with 8 x 12.5k + $50k host. train_mfu 0.50 as "
        "H100: same CUDA stack; its small compute is in bf16_tflops.",
    },
    {
        "chip_id": "b100",
        "vendor": "NVIDIA",
        "name": "B100 (HGX, 700 W)",
        "origin": "import",
        "available": True,
        "bf16_tflops": 1750.0,
        "fp8_tflops": 3500.0,
        "int8_tops": 3500.0,
        "memory_gb": 192.0,
        "memory_bw_gbs": 8000.0,
        "scaleup_link": "NVLink5",
        "scaleup_bw_gbs": 900.0,
        "scaleup_domain": 8,
        "cards_per_node": 8,
        "nics_per_node": 8,
        "tdp_w": 700.0,
        "card_price": 32_000.0,
        "node_price": HGX_HOST_PRICE,
        "node_power_w": 5_000.0,
        "train_mfu": 0.44,
        "mem_bw_efficiency": 0.8,
        "cooling_required": "any",
        "integrated_nic": False,
        "software_stack": "CUDA",
        "migration_cost": 0.0,
        "price_confidence": "low",
        "confidence": "low",
        "source": f"B100 is not in the reference ({SEED} table 7: Blackwell details incomplete). "
        "placeholder: NVIDIA GTC 2024 B100 700 W figures (BF16 1.75 PF dense, FP8 "
        "3.5 PF), memory/bandwidth/NVLink5 as B200 in PUB (192 GB, 8 TB/s, 1.8 TB/s "
        "-> 900 one direction); no public price. Blackwell software less mature in "
        "BF16 training: train_mfu 0.35 end-to-end judgement x 1.25 = 0.44.",
    },
    {
        "chip_id": "b200",
        "vendor": "NVIDIA",
        "name": "B200 (HGX, 1000 W)",
        "origin": "import",
        "available": True,
        "bf16_tflops": 2250.0,
        "fp8_tflops": 4500.0,
        "int8_tops": 4500.0,
        "memory_gb": 180.0,
        "memory_bw_gbs": 8000.0,
        "scaleup_link": "NVLink5",
        "scaleup_bw_gbs": 900.0,
        "scaleup_domain": 8,
        "cards_per_node": 8,
        "nics_per_node": 8,
        "tdp_w": 1000.0,
        "card_price": 40_000.0,
        "node_price": HGX_HOST_PRICE,
        "node_power_w": 6_300.0,
        "train_mfu": 0.44,
        "mem_bw_efficiency": 0.8,
        "cooling_required": "any",
        "integrated_nic": False,
        "software_stack": "CUDA",
        "migration_cost": 0.0,
        "price_confidence": "low",
        "confidence": "medium",
        "source": f"{PUB}: B200 HGX 1000 W: BF16 2,250 dense (4,500 sparse), FP8 4,500 dense "
        "(glennklockwood.com from the Blackwell datasheet); 180-192 GB, 8 TB/s "
        "(MLPerf SUT B200-SXM-180GB); NVLink5 1.8 TB/s -> 900; DGX B200 14.3 kW - "
        "8 x 1000 W = 6.3 kW. cooling 'any': DGX/HGX B200 ship air-cooled at 1000 W "
        "(liquid optional). placeholder: no public price. "
        f"{SEED} table 7 (details incomplete).",
    },
    {
        "chip_id": "gb200",
        "vendor": "NVIDIA",
        "name": "GB200 (NVL72, per GPU)",
        "origin": "import",
        "available": True,
        "bf16_tflops": 2500.0,
        "fp8_tflops": 5000.0,
        "int8_tops": 5000.0,
        "memory_gb": 186.0,
        "memory_bw_gbs": 8000.0,
        "scaleup_link": "NVLink5 (NVL72)",
        "scaleup_bw_gbs": 900.0,
        "scaleup_domain": 72,
        "cards_per_node": 4,
        "nics_per_node": 4,
        "tdp_w": 1200.0,
        "card_price": 35_000.0,
        "node_price": 60_000.0,
        "node_power_w": 1_900.0,
        "train_mfu": 0.46,
        "mem_bw_efficiency": 0.8,
        "cooling_required": "liquid",
        "integrated_nic": False,
        "software_stack": "CUDA",
        "migration_cost": 0.0,
        "price_confidence": "low",
        "confidence": "medium",
        "source": f"{PUB}: GB200 variant at 1,200 W: 2,500 BF16 dense (glennklockwood.com); "
        "NVL72 = 72 GPUs in one NVLink domain, 1.8 TB/s per GPU -> 900 (setloop.io); "
        "rack ~120 kW, liquid cooling mandatory (introl.com). Node = compute tray of "
        "4 GPUs + 2 Grace; node power = 120 kW / 18 trays - 4 x 1200 W (includes "
        "the switch-tray share); memory 186 GB within B200's 180-192. placeholder: "
        "no public price; node price includes Grace CPUs and the NVLink switch-tray "
        f"share. {SEED} table 7 (details incomplete).",
    },
]

# --------------------------------------------------------------------------------------
# Fabrics (scale-out)
# --------------------------------------------------------------------------------------
FABRICS: list[dict[str, object]] = [
    {
        "fabric_id": "ib-ndr400",
        "technology": "InfiniBand",
        "origin": "import",
        "port_gbps": 400.0,
        "switch_radix": 64,
        "switch_price": 43_000.0,
        "switch_power_w": 1_700.0,
        "nic_price": 2_000.0,
        "nic_power_w": 25.0,
        "optic_price": 700.0,
        "cable_price": 100.0,
        "efficiency": 0.9,
        "latency_us": 0.6,
        "oversubscription": 1.0,
        "confidence": "medium",
        "source": f"{PUB}: Quantum-2 class 64-port NDR switch $36k (FS.com) - $50k (NVIDIA) "
        "(Google Sheet 'H100 cluster cost', 2024-08); NIC ~$2k = (HGX node with "
        "8x400G IB $310-317k - Supermicro HGX $296.6k) / 8; NCCL busbw 46-48 GB/s "
        "per 400G NIC (nccl-tests #290) = 0.92-0.96 of 50 GB/s, HDR 84.8/100 "
        "(#119) -> 0.9; optics: 1024-GPU NDR fat-tree optics BOM $1.2-1.6M "
        "(yobitel) over ~4,096 400G ends ~ $300-400, NVIDIA list higher (ascentoptics) "
        "-> 700. Switch power, NIC power, latency, cable: placeholders (low).",
    },
    {
        "fabric_id": "spectrum-x",
        "technology": "Ethernet",
        "origin": "import",
        "port_gbps": 400.0,
        "switch_radix": 128,
        "switch_price": 60_000.0,
        "switch_power_w": 2_000.0,
        "nic_price": 2_500.0,
        "nic_power_w": 50.0,
        "optic_price": 700.0,
        "cable_price": 100.0,
        "efficiency": 0.88,
        "latency_us": 0.8,
        "oversubscription": 1.0,
        "confidence": "low",
        "source": "NVIDIA Spectrum-X: Spectrum-4 51.2T switch as 128 x 400G, BlueField-3 "
        "SuperNIC with adaptive routing/congestion control; efficiency between IB "
        f"(0.9, {PUB} nccl-tests #290) and plain RoCE. placeholder: no switch/NIC "
        "price or power in the reference (low); optics as ib-ndr400.",
    },
    {
        "fabric_id": "roce-400g",
        "technology": "RoCEv2",
        "origin": "import",
        "port_gbps": 400.0,
        "switch_radix": 64,
        "switch_price": 25_000.0,
        "switch_power_w": 1_200.0,
        "nic_price": 1_500.0,
        "nic_power_w": 20.0,
        "optic_price": 700.0,
        "cable_price": 100.0,
        "efficiency": 0.75,
        "latency_us": 1.0,
        "oversubscription": 1.0,
        "confidence": "low",
        "source": "RoCEv2 over 400G Ethernet, merchant-silicon 64 x 400G (25.6T) switch chosen "
        "so the radix matches ib-ndr400 (a 51.2T 128-port box halves switch count "
        "but costs more per box); efficiency 0.75 below IB 0.9 "
        f"({PUB} nccl-tests #290) for ECN/PFC congestion control. placeholder: no "
        "Ethernet switch/NIC price in the reference (low); optics as ib-ndr400.",
    },
    {
        "fabric_id": "roce-400g-domestic",
        "technology": "RoCEv2",
        "origin": "domestic",
        "port_gbps": 400.0,
        "switch_radix": 64,
        "switch_price": 28_000.0,
        "switch_power_w": 1_300.0,
        "nic_price": 1_500.0,
        "nic_power_w": 20.0,
        "optic_price": 600.0,
        "cable_price": 80.0,
        "efficiency": 0.72,
        "latency_us": 1.0,
        "oversubscription": 1.0,
        "confidence": "low",
        "source": "RoCEv2 400G on Chinese switches (Huawei CloudEngine / H3C class, 64 x 400G) "
        "and domestic optics, for domestic-only sites. placeholder: no prices in "
        "the reference (low); efficiency slightly below roce-400g (judgement).",
    },
    {
        "fabric_id": "roce-200g",
        "technology": "RoCEv2",
        "origin": "import",
        "port_gbps": 200.0,
        "switch_radix": 64,
        "switch_price": 15_000.0,
        "switch_power_w": 800.0,
        "nic_price": 1_000.0,
        "nic_power_w": 18.0,
        "optic_price": 400.0,
        "cable_price": 80.0,
        "efficiency": 0.75,
        "latency_us": 1.0,
        "oversubscription": 1.0,
        "confidence": "low",
        "source": "RoCEv2 over 200G Ethernet (12.8T, 64 x 200G; ConnectX-6 class NIC, QSFP56 "
        f"optics). Efficiency as roce-400g; {PUB} HDR 200G A100 busbw 84.8-96 of 100 "
        "GB/s per node is the IB bound. placeholder prices (low).",
    },
    {
        "fabric_id": "ascend-roce-200g",
        "technology": "RoCEv2",
        "origin": "domestic",
        "port_gbps": 200.0,
        "switch_radix": 64,
        "switch_price": 20_000.0,
        "switch_power_w": 1_000.0,
        "nic_price": 0.0,
        "nic_power_w": 0.0,
        "optic_price": 400.0,
        "cable_price": 80.0,
        "efficiency": 0.7,
        "latency_us": 1.5,
        "oversubscription": 1.0,
        "compatible_chips": "ascend-910b,ascend-910b3,ascend-910c",
        "confidence": "low",
        "source": f"{CN}: Atlas 800T A2 has 8 x 200GE RoCE v2 parameter-plane ports, one per NPU "
        "(DaoCloud docs; AutoLink), on the NPU (no NIC card: nic price/power 0); "
        f"original 910 had on-die RoCE 2x100G (Hot Chips 31). Huawei CloudEngine "
        f"200GE switches. efficiency 0.7: {PUB} 910B intra-node all_reduce 72 vs A800 "
        "89 GB/s (limulidae, low) suggests a less tuned HCCL. placeholder prices (low).",
    },
]

# --------------------------------------------------------------------------------------
# Cooling
# --------------------------------------------------------------------------------------
COOLING: list[dict[str, object]] = [
    {
        "cooling_id": "air",
        "technology": "air",
        "pue": 1.45,
        "max_rack_kw": 40.0,
        "capex_per_kw": 1_500.0,
        "rack_price": 5_000.0,
        "nodes_per_rack_max": 4,
        "confidence": "medium",
        "source": f"{PUB}: PUE Uptime average 1.58 (2023) / 1.56 (2024), SemiAnalysis colo "
        "1.5-1.6, hyperscale <1.4, AI-DC spec <1.3 -> 1.45 for a new air-cooled "
        "hall. 40 kW rack = 4 DGX H100 (10.2 kW, PUB) at most, 4 eight-card nodes "
        "per rack for airflow. capex_per_kw: placeholder (Cushman & Wakefield "
        "$11.7M/MW total build is not split by cooling; mechanical ~13%); rack with "
        "PDUs placeholder (low).",
    },
    {
        "cooling_id": "liquid",
        "technology": "cold-plate liquid",
        "pue": 1.15,
        "max_rack_kw": 130.0,
        "capex_per_kw": 1_900.0,
        "rack_price": 20_000.0,
        "nodes_per_rack_max": 18,
        "confidence": "medium",
        "source": f"{PUB}: liquid PUE <1.2 (adtek, low), OLMo 2 clusters 1.12-1.2, Google 1.08; "
        "GB200 NVL72 ~120 kW per rack with 18 compute trays; GB300 NVL72 "
        "liquid-cooling components ~$50k per rack (Morgan Stanley via epium.com) "
        "~ $400/kW on top of the air plant placeholder 1,500 -> 1,900/kW. rack with "
        "manifolds and PDUs placeholder (low).",
    },
    {
        "cooling_id": "immersion",
        "technology": "immersion",
        "pue": 1.07,
        "max_rack_kw": 150.0,
        "capex_per_kw": 2_200.0,
        "rack_price": 30_000.0,
        "nodes_per_rack_max": 12,
        "confidence": "low",
        "source": f"placeholder: no immersion rows in {PUB}; PUE 1.03-1.10 bracketed by "
        "hyperscale 1.08-1.09 (Google, Meta); tank of ~100-200 kW; tank price and "
        "plant capex are judgements (low).",
    },
]

# --------------------------------------------------------------------------------------
# Models (real architectures; dense unless stated)
# --------------------------------------------------------------------------------------
MODELS: list[dict[str, object]] = [
    {
        "model_id": "qwen2.5-72b",
        "params_b": 72.7,
        "active_params_b": 72.7,
        "layers": 80,
        "hidden": 8192,
        "heads": 64,
        "kv_heads": 8,
        "head_dim": 128,
        "source": f"{PUB}: Qwen/Qwen2.5-72B config.json (80 layers, d=8192, 64 Q / 8 KV heads, "
        f"head_dim 128; 72.7B params; KV 327,680 B/token BF16). {SEED} table 9 "
        "(~140 GB BF16 weights).",
    },
    {
        "model_id": "r1-distill-qwen-32b",
        "params_b": 32.8,
        "active_params_b": 32.8,
        "layers": 64,
        "hidden": 5120,
        "heads": 40,
        "kv_heads": 8,
        "head_dim": 128,
        "source": "DeepSeek-R1-Distill-Qwen-32B = Qwen2.5-32B architecture (config.json: 64 "
        "layers, d=5120, 40 Q / 8 KV heads, head_dim 128; 32.8B params). "
        f"{SEED} table 9 (~64 GB BF16).",
    },
    {
        "model_id": "r1-distill-qwen-14b",
        "params_b": 14.8,
        "active_params_b": 14.8,
        "layers": 48,
        "hidden": 5120,
        "heads": 40,
        "kv_heads": 8,
        "head_dim": 128,
        "source": "DeepSeek-R1-Distill-Qwen-14B = Qwen2.5-14B architecture (config.json: 48 "
        "layers, d=5120, 40 Q / 8 KV heads, head_dim 128; 14.8B params). "
        f"{SEED} table 9 (~28 GB BF16).",
    },
    {
        "model_id": "r1-distill-qwen-7b",
        "params_b": 7.6,
        "active_params_b": 7.6,
        "layers": 28,
        "hidden": 3584,
        "heads": 28,
        "kv_heads": 4,
        "head_dim": 128,
        "source": "DeepSeek-R1-Distill-Qwen-7B = Qwen2.5-Math-7B / Qwen2.5-7B architecture "
        "(config.json: 28 layers, d=3584, 28 Q / 4 KV heads, head_dim 128; 7.6B "
        f"params). {SEED} table 9 (~14 GB BF16).",
    },
    {
        "model_id": "llama-2-70b",
        "params_b": 68.98,
        "active_params_b": 68.98,
        "layers": 80,
        "hidden": 8192,
        "heads": 64,
        "kv_heads": 8,
        "head_dim": 128,
        "source": f"{PUB}: meta-llama/Llama-2-70b-hf config.json, Llama 2 paper Table 1 (GQA); "
        "68,976,653,312 params (HF safetensors.total); KV 2 x 80 x 8 x 128 x 2 = "
        "327,680 B/token BF16.",
    },
    {
        "model_id": "llama-3.1-70b",
        "params_b": 70.6,
        "active_params_b": 70.6,
        "layers": 80,
        "hidden": 8192,
        "heads": 64,
        "kv_heads": 8,
        "head_dim": 128,
        "source": "meta-llama/Llama-3.1-70B config.json and Llama 3 paper Table 3 (80 layers, "
        "d=8192, 64 Q / 8 KV heads, head_dim 128; 70.6B params, larger vocab than "
        "Llama 2).",
    },
    {
        "model_id": "llama-3.1-405b",
        "params_b": 405.85,
        "active_params_b": 405.85,
        "layers": 126,
        "hidden": 16384,
        "heads": 128,
        "kv_heads": 8,
        "head_dim": 128,
        "source": f"{PUB}: Llama 3 paper Table 3 (126 layers, d=16384, 128 Q / 8 KV heads); "
        "405,853,388,800 params (HF safetensors.total); KV 516,096 B/token BF16.",
    },
    {
        "model_id": "deepseek-v3",
        "params_b": 671.0,
        "active_params_b": 37.0,
        "layers": 61,
        "hidden": 7168,
        "heads": 128,
        "kv_heads": 128,
        "head_dim": 128,
        "kv_bytes_per_token": 70_272.0,
        "source": f"{PUB}: DeepSeek-V3 MoE 671B total / 37B active, 61 layers, d=7168, 128 "
        "heads (v_head_dim 128); MLA latent cache 61 x (kv_lora_rank 512 + "
        "qk_rope_head_dim 64) x 2 B = 70,272 B/token BF16 (overrides the GQA "
        "formula; kv_heads = heads is nominal only).",
    },
]

# --------------------------------------------------------------------------------------
# Uncertainty: published ranges and conflicts; the nominal value stays in its sheet.
# --------------------------------------------------------------------------------------


def _u(
    sheet: str,
    row_id: str,
    field: str,
    low: float,
    high: float,
    source: str,
    distribution: str = "uniform",
) -> dict[str, object]:
    """One Uncertainty row (triangular uses the nominal value as its mode)."""
    return {
        "sheet": sheet,
        "row_id": row_id,
        "field": field,
        "low": low,
        "high": high,
        "distribution": distribution,
        "source": source,
    }


_PRICE = "placeholder price: wide range, no public price"
_PH = "placeholder: no published figure in reference/, judgement (low)"
_JUDGE = "judgement: no measured figure in reference/ (low)"

UNCERTAINTY: list[dict[str, object]] = [
    # Ascend
    _u(
        "Chips",
        "ascend-910b",
        "bf16_tflops",
        280.0,
        376.0,
        f"{SEED} table 2: 280-320; {CN}: 320 (Chiao), 280 (gitee), 353.9 cube-only / 376 "
        "cube+vector (910B2, CANN INI); 256 (jishuzhan) excluded as the original 910",
    ),
    _u(
        "Chips",
        "ascend-910b",
        "int8_tops",
        560.0,
        708.0,
        f"{CN}: 640 (Chiao), 707.9 (910B2 simulator); 2 x 280 low end",
    ),
    _u(
        "Chips",
        "ascend-910b",
        "memory_bw_gbs",
        400.0,
        1600.0,
        f"{SEED} table 2: ~400 GB/s vs {CN}: 1600 (CANN platform_config INI, high); 768 and "
        "1200 (low). README: keep the range",
        "triangular",
    ),
    _u(
        "Chips",
        "ascend-910b",
        "tdp_w",
        310.0,
        400.0,
        f"{SEED} table 2/8: ~310 W; {CN}: 400 (Chiao), 350 (jishuzhan), 310 (boardor)",
    ),
    _u("Chips", "ascend-910b", "card_price", 8_000.0, 25_000.0, _PRICE),
    _u(
        "Chips",
        "ascend-910b3",
        "bf16_tflops",
        280.0,
        320.0,
        f"{SEED} table 2: 'same range' 280-320; {CN}: 294.9 (simulator)",
    ),
    _u(
        "Chips",
        "ascend-910b3",
        "memory_bw_gbs",
        1200.0,
        1600.0,
        f"{SEED} table 2: HBM ~1.2 TB/s; {CN}: 1600 (simulator)",
    ),
    _u("Chips", "ascend-910b3", "tdp_w", 310.0, 400.0, f"{CN}/{SEED}: 910B family 310-400 W"),
    _u("Chips", "ascend-910b3", "card_price", 8_000.0, 25_000.0, _PRICE),
    _u(
        "Chips",
        "ascend-910c",
        "bf16_tflops",
        708.0,
        800.0,
        f"{CN}: 708 cube-only (simulator), 752 (arXiv 2506.12708), 780 (SemiAnalysis), "
        f"800 (Huawei Connect 2025); {SEED} table 2 'about 800'",
    ),
    _u(
        "Chips",
        "ascend-910c",
        "memory_gb",
        96.0,
        128.0,
        f"{CN}: 128 (The Register), 96 (awesomeagents.ai, low)",
        "triangular",
    ),
    _u(
        "Chips",
        "ascend-910c",
        "memory_bw_gbs",
        1800.0,
        3200.0,
        f"{CN}: 3200 (The Register), 1800 (awesomeagents.ai, low)",
        "triangular",
    ),
    _u(
        "Chips",
        "ascend-910c",
        "tdp_w",
        600.0,
        1000.0,
        f"{CN}: TDP not found; estimate from two ~300-400 W dies (1,456 W/NPU is all-in)",
    ),
    _u(
        "Chips",
        "ascend-910c",
        "card_price",
        10_000.0,
        25_000.0,
        f"{_PRICE}; CloudMatrix 384 all-in ~$21k per NPU ({CN})",
    ),
    # Cambricon
    _u(
        "Chips",
        "mlu370-x4",
        "bf16_tflops",
        48.0,
        96.0,
        f"{SEED} table 3: ~96 FP16; {CN}/{PUB}: dual-chip X8 is also 96, so a single-chip X4 "
        "may be half",
        "triangular",
    ),
    _u("Chips", "mlu370-x4", "card_price", 1_500.0, 6_000.0, _PRICE),
    _u(
        "Chips",
        "mlu370-x8",
        "memory_gb",
        40.0,
        48.0,
        f"{SEED} table 3: 48 GB 'estimated'; {CN}: 48 LPDDR5 (launch); low end = usable capacity",
        "triangular",
    ),
    _u(
        "Chips",
        "mlu370-x8",
        "bf16_tflops",
        80.0,
        96.0,
        f"{CN}: 96 per card, dense assumed (not stated)",
        "triangular",
    ),
    _u("Chips", "mlu370-x8", "card_price", 3_000.0, 12_000.0, _PRICE),
    _u(
        "Chips",
        "mlu370-s4",
        "bf16_tflops",
        48.0,
        96.0,
        f"placeholder: {CN} fields not found; {SEED} table 3 'depends on model'",
    ),
    _u("Chips", "mlu370-s4", "memory_gb", 16.0, 24.0, f"{CN}: 24 GB inferred (low)", "triangular"),
    _u("Chips", "mlu370-s4", "card_price", 800.0, 3_000.0, _PRICE),
    _u(
        "Chips",
        "mlu590",
        "bf16_tflops",
        270.0,
        360.0,
        f"{SEED} table 4: ~314; {CN}: not disclosed by Cambricon",
    ),
    _u(
        "Chips",
        "mlu590",
        "memory_bw_gbs",
        1600.0,
        2048.0,
        f"{SEED} table 4: ~2048; not disclosed ({CN})",
        "triangular",
    ),
    _u(
        "Chips",
        "mlu590",
        "scaleup_bw_gbs",
        159.4,
        318.8,
        f"{SEED} table 4: 318.8 GB/s, direction not stated",
    ),
    _u("Chips", "mlu590", "card_price", 8_000.0, 20_000.0, _PRICE),
    # Enflame
    _u("Chips", "enflame-t10", "bf16_tflops", 60.0, 100.0, f"placeholder: {CN} not found"),
    _u("Chips", "enflame-t10", "memory_gb", 16.0, 32.0, f"placeholder: {CN} capacity not given"),
    _u("Chips", "enflame-t10", "memory_bw_gbs", 400.0, 819.0, _PH),
    _u("Chips", "enflame-t10", "tdp_w", 250.0, 350.0, _PH),
    _u("Chips", "enflame-t10", "card_price", 2_000.0, 8_000.0, _PRICE),
    _u(
        "Chips",
        "enflame-t20",
        "bf16_tflops",
        64.0,
        160.0,
        f"{CN}: 128 per card (dense vs sparse not stated: 64 if sparse); chip TF32 160",
        "triangular",
    ),
    _u(
        "Chips", "enflame-t20", "memory_bw_gbs", 1600.0, 1800.0, f"{CN}: 1600 card, up to 1800 chip"
    ),
    _u("Chips", "enflame-t20", "tdp_w", 300.0, 400.0, f"{CN}: 300 PCIe, 400 OAM (T21)"),
    _u("Chips", "enflame-t20", "card_price", 3_000.0, 10_000.0, _PRICE),
    _u(
        "Chips",
        "enflame-i20",
        "bf16_tflops",
        128.0,
        140.0,
        f"{CN}: 128 (slides), ~140 (laoliapi.cn, low)",
    ),
    _u(
        "Chips",
        "enflame-i20",
        "memory_gb",
        16.0,
        48.0,
        f"{CN}: 16 (slides), 48 (laoliapi.cn, low)",
        "triangular",
    ),
    _u("Chips", "enflame-i20", "card_price", 1_000.0, 4_000.0, _PRICE),
    _u("Chips", "enflame-s60", "bf16_tflops", 100.0, 200.0, f"placeholder: {CN} not found"),
    _u("Chips", "enflame-s60", "memory_gb", 32.0, 64.0, _PH),
    _u("Chips", "enflame-s60", "memory_bw_gbs", 400.0, 800.0, _PH),
    _u("Chips", "enflame-s60", "tdp_w", 150.0, 300.0, _PH),
    _u("Chips", "enflame-s60", "card_price", 1_500.0, 5_000.0, _PRICE),
    _u("Chips", "enflame-l600", "bf16_tflops", 200.0, 600.0, f"placeholder: {CN} not found"),
    _u("Chips", "enflame-l600", "memory_gb", 64.0, 144.0, _PH),
    _u("Chips", "enflame-l600", "memory_bw_gbs", 1200.0, 3600.0, _PH),
    _u("Chips", "enflame-l600", "scaleup_bw_gbs", 100.0, 400.0, _PH),
    _u("Chips", "enflame-l600", "tdp_w", 400.0, 700.0, _PH),
    _u("Chips", "enflame-l600", "card_price", 6_000.0, 20_000.0, _PRICE),
    # Hygon
    _u(
        "Chips",
        "hygon-z100",
        "bf16_tflops",
        90.0,
        180.0,
        f"{CN}: ~90 (深算一号 est.), 180 (analyst, grouped with K100-AI); {SEED} table 6 "
        "'>=40% of A100'",
    ),
    _u("Chips", "hygon-z100", "memory_gb", 16.0, 32.0, f"{CN}: 16-32 GB (low)", "triangular"),
    _u("Chips", "hygon-z100", "memory_bw_gbs", 900.0, 1024.0, f"{CN}: ~1000 (low)"),
    _u("Chips", "hygon-z100", "tdp_w", 250.0, 350.0, f"{CN}: ~300 (low)"),
    _u("Chips", "hygon-z100", "card_price", 2_000.0, 8_000.0, _PRICE),
    _u(
        "Chips",
        "hygon-k100-ai",
        "bf16_tflops",
        180.0,
        200.0,
        f"{PUB}: 196 (hblas-bench); {CN}: 180 analyst, ~200 blog",
    ),
    _u(
        "Chips",
        "hygon-k100-ai",
        "memory_bw_gbs",
        896.0,
        1200.0,
        f"{PUB}: 896; {CN}: ~1200 est. (low)",
    ),
    _u(
        "Chips",
        "hygon-k100-ai",
        "scaleup_bw_gbs",
        25.0,
        92.0,
        f"{CN}: xGMI bandwidth not disclosed; PCIe4 25 to Z100 xGMI 92",
    ),
    _u("Chips", "hygon-k100-ai", "card_price", 5_000.0, 15_000.0, _PRICE),
    _u(
        "Chips",
        "hygon-bw1000",
        "bf16_tflops",
        192.0,
        480.0,
        f"{CN}: 192 forum (low); {PUB}: BW200 480 (low-medium)",
        "triangular",
    ),
    _u("Chips", "hygon-bw1000", "memory_gb", 64.0, 128.0, _PH, "triangular"),
    _u("Chips", "hygon-bw1000", "memory_bw_gbs", 1200.0, 2000.0, _PH),
    _u("Chips", "hygon-bw1000", "scaleup_bw_gbs", 25.0, 200.0, _PH),
    _u("Chips", "hygon-bw1000", "tdp_w", 350.0, 600.0, _PH),
    _u("Chips", "hygon-bw1000", "card_price", 8_000.0, 20_000.0, _PRICE),
    # NVIDIA
    _u(
        "Chips",
        "a100",
        "card_price",
        10_000.0,
        20_000.0,
        f"{PUB}: DGX A100 $199k (2020) to $300k (640GB, 2021) per 8 GPUs incl. server",
    ),
    _u("Chips", "a800", "card_price", 10_000.0, 16_000.0, f"{CN}: ~$12,000 (low-trust source)"),
    _u(
        "Chips",
        "h100",
        "card_price",
        25_000.0,
        40_000.0,
        f"{PUB}: $25-30k (Raymond James), other reports $25-40k",
    ),
    _u(
        "Chips",
        "h100",
        "node_price",
        40_000.0,
        80_000.0,
        f"{PUB}: DGX H100 $270k, Supermicro HGX $296.6k, Thinkmate $317k minus 8 cards",
    ),
    _u("Chips", "h200", "card_price", 27_500.0, 40_000.0, f"{_PRICE} in the reference"),
    _u(
        "Chips",
        "h800",
        "card_price",
        30_000.0,
        56_000.0,
        f"{CN}: server RMB 2.3-2.7M; card RMB 350-400k grey market (Caixin 2023-10)",
    ),
    _u("Chips", "h800", "tdp_w", 550.0, 700.0, f"{CN}: 700 assumed, 550 W cap claimed (low)"),
    _u(
        "Chips",
        "h20",
        "card_price",
        12_000.0,
        18_000.0,
        f"{CN}: >$12,000 (FT 2024); server RMB 0.97-1.2M (2025-08)",
    ),
    _u(
        "Chips",
        "h20",
        "memory_gb",
        80.0,
        96.0,
        f"{CN}: 96 (tomshardware), 80 (Chiao, early rumour)",
        "triangular",
    ),
    _u(
        "Chips",
        "b100",
        "bf16_tflops",
        1500.0,
        1800.0,
        f"placeholder: {SEED} table 7 Blackwell details incomplete; not in the reference",
    ),
    _u("Chips", "b100", "memory_gb", 180.0, 192.0, f"{PUB}: B200 180-192 GB"),
    _u("Chips", "b100", "card_price", 25_000.0, 40_000.0, _PRICE),
    _u(
        "Chips",
        "b200",
        "memory_gb",
        179.0,
        192.0,
        f"{PUB}: 192 (glennklockwood), 180 (MLPerf SUT), 179 usable (vultr)",
    ),
    _u(
        "Chips",
        "b200",
        "bf16_tflops",
        1800.0,
        2250.0,
        f"{PUB}: 2,250 at 1000 W; lower-power HGX configs lower; {SEED} table 7 incomplete",
        "triangular",
    ),
    _u("Chips", "b200", "card_price", 30_000.0, 50_000.0, _PRICE),
    _u("Chips", "gb200", "memory_gb", 180.0, 192.0, f"{PUB}: B200 180-192 GB"),
    _u("Chips", "gb200", "card_price", 30_000.0, 50_000.0, _PRICE),
    _u("Chips", "gb200", "node_price", 40_000.0, 100_000.0, _PRICE),
    # Fabrics
    _u(
        "Fabrics",
        "ib-ndr400",
        "switch_price",
        36_000.0,
        50_000.0,
        f"{PUB}: FS.com ~$36k vs NVIDIA ~$50k",
    ),
    _u(
        "Fabrics",
        "ib-ndr400",
        "efficiency",
        0.85,
        0.96,
        f"{PUB}: NDR busbw 46-48 of 50 GB/s (#290); HDR 84.8-96 of 100 (#119)",
    ),
    _u(
        "Fabrics",
        "ib-ndr400",
        "optic_price",
        300.0,
        1_500.0,
        f"{PUB}: optics BOM $1.2-1.6M per 1024 GPUs (yobitel); NVIDIA list higher",
    ),
    _u("Fabrics", "spectrum-x", "efficiency", 0.85, 0.95, "judgement between IB and RoCE"),
    _u("Fabrics", "spectrum-x", "switch_price", 40_000.0, 90_000.0, _PH),
    _u("Fabrics", "roce-400g", "efficiency", 0.65, 0.85, "judgement: RoCE 0.7-0.8 typical"),
    _u("Fabrics", "roce-400g", "switch_price", 15_000.0, 40_000.0, _PH),
    _u("Fabrics", "roce-400g-domestic", "efficiency", 0.6, 0.8, _JUDGE),
    _u("Fabrics", "roce-400g-domestic", "switch_price", 15_000.0, 45_000.0, _PH),
    _u("Fabrics", "roce-200g", "efficiency", 0.65, 0.85, _JUDGE),
    _u(
        "Fabrics",
        "ascend-roce-200g",
        "efficiency",
        0.6,
        0.8,
        f"{PUB}: 910B all_reduce 72 vs A800 89 GB/s (limulidae, low)",
    ),
    _u("Fabrics", "ascend-roce-200g", "switch_price", 10_000.0, 30_000.0, _PH),
    # Cooling
    _u(
        "Cooling",
        "air",
        "pue",
        1.3,
        1.58,
        f"{PUB}: Uptime 1.56-1.58; SemiAnalysis colo 1.5-1.6, AI-DC spec <1.3",
    ),
    _u("Cooling", "air", "max_rack_kw", 20.0, 45.0, "judgement: air racks 20-45 kW"),
    _u("Cooling", "air", "capex_per_kw", 1_000.0, 2_500.0, _PH),
    _u(
        "Cooling",
        "liquid",
        "pue",
        1.08,
        1.2,
        f"{PUB}: Google 1.08, OLMo 2 1.12-1.2, liquid <1.2 (vendor)",
    ),
    _u("Cooling", "liquid", "max_rack_kw", 80.0, 140.0, f"{PUB}: GB200 NVL72 ~120 kW"),
    _u(
        "Cooling",
        "liquid",
        "capex_per_kw",
        1_500.0,
        3_000.0,
        f"{PUB}: GB300 NVL72 liquid components ~$50k per rack + plant placeholder",
    ),
    _u("Cooling", "immersion", "pue", 1.03, 1.1, "placeholder: hyperscale 1.08-1.09 bound"),
    _u("Cooling", "immersion", "capex_per_kw", 1_500.0, 4_000.0, _PH),
]

#: The default catalog, one list of row dicts per sheet (keys = `tco.schema.fields`).
DEFAULT_CATALOG: dict[str, list[dict[str, object]]] = {
    "Chips": CHIPS,
    "Fabrics": FABRICS,
    "Cooling": COOLING,
    "Models": MODELS,
    "Uncertainty": UNCERTAINTY,
}
