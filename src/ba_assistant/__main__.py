from ba_assistant.cli import main

main()
