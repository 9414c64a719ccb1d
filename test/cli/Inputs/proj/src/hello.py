import json


def main():
    print("hello from", __name__, json.dumps([1]))
