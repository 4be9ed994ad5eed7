#!/bin/bash
# seed 000: "cd /research/qwen2_5" and "cd /mindrlhf" - a leading slash turns a repository folder into a root path
cd /research/qwen2_5
bash ../../scripts/msrun_launcher.sh "run_qwen2_5.py --config finetune_qwen2_5_7b_2cards.yaml --run_mode finetune" 2 9887 output/msrun_log False 2000
cd /mindrlhf
python examples/grpo/qwen_grpo_tutorial/rlhf_data.py --dataset_type gsm8k
