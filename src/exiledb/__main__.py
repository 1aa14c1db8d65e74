from exiledb.cli import main

main()
