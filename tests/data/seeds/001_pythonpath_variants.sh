#!/bin/bash
# seed 001, 3.2: "告诉 Python，除了在site-packages之外，额外去哪些目录里找模块" - three mindformers checkouts,
# one in another user's home; the first one on PYTHONPATH wins
export MINDRLHF_FILE=/home/ma-user/work/mindrlhf
export MINDFORMERS_FILE=/home/ma-user/work/vllm-mindspore/mindformers

export PYTHONPATH="$MINDRLHF_FILE:$MINDFORMERS_FILE:$PYTHONPATH"
export MINDFORMERS_PATH="$MINDFORMERS_FILE:$MINDFORMERS_PATH"
export MS_ENABLE_LCCL=off

export PYTHONPATH=/home/wst/mindformers:$PYTHONPATH
export PYTHONPATH=/home/ma-user/work/mindrlhf:$PYTHONPATH
export PYTHONPATH=/home/ma-user/work/mindformers:$PYTHONPATH
