#!/bin/bash
# seed 000, 1.2 v1: "pip install fastchat>=0.2.13     运行不了就把>=0.2.13删了"
pip install fastchat>=0.2.13
git clone https://github.com/tatsu-lab/stanford_alpaca.git
# seed 000, 9.30 问题1: "pip install --upgrate minspore" (option and package name both misspelt)
pip install --upgrade minspore
