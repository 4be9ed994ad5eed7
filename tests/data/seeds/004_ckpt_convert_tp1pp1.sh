#!/bin/bash
# seed 004: "将TP和PP参数放在一起，新转换的权重路径跟原始路径保持一致" - converted for TP=1 PP=1
source /home/fdd/workspace/Ascend/CANN8.2.RC1/ascend-toolkit/set_env.sh
export CUDA_DEVICE_MAX_CONNECTIONS=1

model_path_hf=/home/fdd/workspace/models/Qwen/Qwen2.5-7B
TP=1
PP=1

python convert_ckpt.py \
       --use-mcore-models \
       --model-type GPT \
       --load-model-type hf \
       --save-model-type mg \
       --target-tensor-parallel-size $TP \
       --target-pipeline-parallel-size $PP \
       --add-qkv-bias \
       --load-dir $model_path_hf \
       --save-dir $model_path_hf/mcore_tp${TP}_pp${PP}/ \
       --tokenizer-model $model_path_hf/tokenizer.json \
       --model-type-hf llama2 \
       --params-dtype bf16
