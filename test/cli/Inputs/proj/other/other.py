def main():
    print("other")
