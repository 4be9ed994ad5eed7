#!/bin/bash
# seed 004: NPUS_PER_NODE=4, TP=4, but the checkpoint folder was converted for tp2 pp1
export CUDA_DEVICE_MAX_CONNECTIONS=1

NPUS_PER_NODE=4     # 每个节点使用的NPU数量，必须大于等于TP*PP
MASTER_ADDR=localhost
MASTER_PORT=6000
NNODES=1
NODE_RANK=0
WORLD_SIZE=$(($NPUS_PER_NODE*$NNODES))

CKPT_LOAD_DIR="/home/fdd/workspace/models/Qwen/Qwen2.5-7B/mcore_tp2_pp1/"
CKPT_SAVE_DIR="/home/fdd/workspace/models/Qwen/Qwen2.5-7B/mcore_tp2_pp1/ckpt"

TP=4
PP=1
SEQ_LEN=4096
MBS=1
GBS=8

torchrun --nproc_per_node $NPUS_PER_NODE --nnodes $NNODES posttrain_gpt.py \
    --tensor-model-parallel-size ${TP} \
    --pipeline-model-parallel-size ${PP} \
    --micro-batch-size ${MBS} \
    --global-batch-size ${GBS} \
    --load ${CKPT_LOAD_DIR}
