#!/bin/bash
# Trimmed from MindSpeed-LLM's DeepSeek-V3 671B full-finetune example script for the MindSpore backend
# (examples/mindspore/deepseek3/ of Ascend's MindSpeed-LLM, Huawei Technologies Co., Ltd.): the model, MoE,
# RoPE and output argument lists shortened, the launch lines unchanged, the placeholder paths filled in.
# 64 nodes launched with msrun, the master left at "localhost #主节点IP".
export CUDA_DEVICE_MAX_CONNECTIONS=1
export PYTORCH_NPU_ALLOC_CONF=expandable_segments:True
export HCCL_CONNECT_TIMEOUT=3600

NPUS_PER_NODE=8
MASTER_ADDR=localhost #主节点IP
MASTER_PORT=6000
NNODES=64
NODE_RANK=0
WORLD_SIZE=$(($NPUS_PER_NODE*$NNODES))

CKPT_SAVE_DIR="./ckpt/deepseek3"
DATA_PATH="./dataset/alpaca"
TOKENIZER_PATH="./model_from_hf/deepseek3"
CKPT_LOAD_DIR="./model_weights/deepseek3"

TP=1
PP=8
EP=64
CP=1
CP_TYPE='ulysses_cp_algo'

NUM_LAYERS=61
SEQ_LEN=4096
MBS=1
GBS=64

DISTRIBUTED_ARGS="
    --master_addr $MASTER_ADDR \
    --node_rank $NODE_RANK \
    --worker_num $WORLD_SIZE \
    --local_worker_num $NPUS_PER_NODE \
    --master_port $MASTER_PORT \
    --log_dir=msrun_log \
    --join=False \
    --cluster_time_out=300 \
    --bind_core=True \
"

GPT_ARGS="
    --spec mindspeed_llm.tasks.models.spec.deepseek_spec layer_spec \
    --num-layer-list 7,7,7,8,8,8,8,8 \
    --use-mcore-models \
    --tensor-model-parallel-size ${TP} \
    --pipeline-model-parallel-size ${PP} \
    --expert-model-parallel-size ${EP} \
    --context-parallel-size ${CP} \
    --context-parallel-algo  ${CP_TYPE} \
    --num-layers ${NUM_LAYERS} \
    --hidden-size 7168 \
    --num-attention-heads 128 \
    --tokenizer-type PretrainedFromHF  \
    --tokenizer-name-or-path ${TOKENIZER_PATH} \
    --seq-length ${SEQ_LEN} \
    --micro-batch-size ${MBS} \
    --global-batch-size ${GBS} \
    --num-experts 256 \
    --moe-router-topk 8 \
    --bf16
"

DATA_ARGS="
    --data-path $DATA_PATH \
    --split 100,0,0
"

OUTPUT_ARGS="
    --load $CKPT_LOAD_DIR \
    --save $CKPT_SAVE_DIR \
"

FINETUNE_ARGS="
    --finetune \
    --stage sft \
    --is-instruction-dataset \
    --prompt-type deepseek3 \
"

msrun $DISTRIBUTED_ARGS posttrain_gpt.py \
    $GPT_ARGS \
    $DATA_ARGS \
    $OUTPUT_ARGS \
    $FINETUNE_ARGS \
    --distributed-backend nccl \
    --ai-framework mindspore \
    2>&1 | tee logs/ms_finetune_deepseek3_671b_4k_full.log
