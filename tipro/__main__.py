from tipro.cli import main

main()
