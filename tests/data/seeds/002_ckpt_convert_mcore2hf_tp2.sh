#!/bin/bash
# seed 002, "mcore 转 hf": "权重转换转回 Hugging Face 格式时，tp 和 pp 配置需配置为1" - copied from the hf2mcore script
source /usr/local/Ascend/ascend-toolkit/set_env.sh
python convert_ckpt.py \
       --use-mcore-models \
       --model-type GPT \
       --load-model-type mg \
       --save-model-type hf \
       --target-tensor-parallel-size 2 \
       --target-pipeline-parallel-size 2 \
       --add-qkv-bias \
       --load-dir /root/llm_dataset/models/mindspeed/qwen2.5_mcore/qwen2.5_0.5b/ \
       --save-dir /root/llm_dataset/models/Qwen/Qwen2.5-0.5B/ \
       --model-type-hf llama2 \
       --params-dtype bf16
