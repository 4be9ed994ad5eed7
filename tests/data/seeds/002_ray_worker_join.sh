#!/bin/bash
# seed 002, 多机: "IP_ADDRESS 处填写主节点 IP 地址" - run on a worker node as copied
ray start --address="IP_ADDRESS:6344"
