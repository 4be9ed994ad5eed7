#!/bin/bash
# MindRLHF master examples/grpo/qwen_grpo_tutorial/run_grpo.sh: 32 workers for an 8-card grpo_config.yaml
msrun --worker_num=32 --local_worker_num=8 \
--master_addr=127.0.0.1 --master_port=9887 \
--join=True --log_dir=./prof_vllm_log \
examples/grpo/qwen_grpo_tutorial/main.py \
--config grpo_config.yaml \
--dataset_file /path/to/datasets/gsm8k_train.mindrecord \
--verifier_function "qwen_accuracy_reward,format_reward" \
--verifier_weight "1.0,1.0"
