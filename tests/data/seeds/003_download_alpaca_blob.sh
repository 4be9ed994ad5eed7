#!/bin/bash
# seed 003, 预训练数据集下载: the browser's "blob" address saves the HTML page, not the parquet file
mkdir dataset
cd dataset/
wget https://huggingface.co/datasets/tatsu-lab/alpaca/blob/main/data/train-00000-of-00001-a09b74b3ef9c3b56.parquet
cd ..
