#!/bin/bash
# Hugging Face -> Megatron-mcore weights for Qwen2.5-7B at TP4 PP1: MindSpeed-LLM
# examples/mcore/qwen25/ckpt_convert_qwen25_hf2mcore.sh with the target TP/PP set to the training job's
# (a checkpoint converted for another TP/PP does not load). Run it from the MindSpeed-LLM checkout.
source /usr/local/Ascend/ascend-toolkit/set_env.sh

python convert_ckpt.py \
       --use-mcore-models \
       --model-type GPT \
       --load-model-type hf \
       --save-model-type mg \
       --target-tensor-parallel-size 4 \
       --target-pipeline-parallel-size 1 \
       --add-qkv-bias \
       --load-dir /home/ma-user/work/models/Qwen2.5-7B/ \
       --save-dir /home/ma-user/work/models/qwen2.5-7b-mcore-tp4pp1/ \
       --tokenizer-model /home/ma-user/work/models/Qwen2.5-7B/tokenizer.json \
       --model-type-hf llama2 \
       --params-dtype bf16
