#!/bin/bash
# seed 003, 3.2: data_convert_qwen25_pretrain.sh as edited - two lines end in "\" followed by spaces
# 请按照您的真实环境修改 set_env.sh 路径
source /usr/local/Ascend/ascend-toolkit/set_env.sh

python ./preprocess_data.py \
	--input /apps/hw/datasets/train-00000-of-00001-a09b74b3ef9c3b56.parquet \
	--tokenizer-name-or-path /apps/hw/weights/Qwen2.5-7B/ \     
	--output-prefix ./datasets/alpaca \     
	--tokenizer-type PretrainedFromHF \
	--workers 4 \
	--log-interval 1000
