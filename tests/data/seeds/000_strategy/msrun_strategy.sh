#!/bin/bash
# seed 000, 1.2: "生成切分方案时，msrun_launcher.sh默认是8卡" - only the command given, so 8 workers for a 2-card YAML
cd /home/ma-user/work/mindformers/research/qwen2_5/
bash ../../scripts/msrun_launcher.sh "run_qwen2_5.py \
--config finetune_qwen2_5_7b_2cards.yaml \
--run_mode finetune \
--train_data /home/ma-user/work/data/alpaca-fastchat4096.mindrecord"
