def main():
    print("hello from a link-time payload")
