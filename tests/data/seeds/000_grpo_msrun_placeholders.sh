#!/bin/bash
# seed 000, "单机8卡拉起Qwen2.5-7b": the tutorial command with its /path/to/ placeholders
msrun --worker_num=8 --local_worker_num=8 \
--master_addr=127.0.0.1 --master_port=9887 \
--join=True --log_dir=./prof_vllm_log \
examples/grpo/qwen_grpo_tutorial/main.py \
--config examples/grpo/qwen_grpo_tutorial/grpo_config.yaml \
--dataset_file /path/to/datasets/gsm8k_train.mindrecord \
--tokenizer_dir /path/to/configs/ \
--actor_checkpoint_path /path/to/weights/qwen2_5_7b/ \
--ref_checkpoint_path /path/to/weights/qwen2_5_7b/ \
--generate_checkpoint_path /path/to/weights/qwen2_5_7b/ \
--verifier_function "qwen_accuracy_reward,format_reward" \
--verifier_weight "1.0,1.0" \
--save_checkpoint_dir "/path/to/ckpt/"
