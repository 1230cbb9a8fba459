"""`streamlit run ui/app.py` from a checkout: the chat page itself is `rag/ui/app.py` (`rag ui` runs that).

Streamlit executes this file on every rerun, but imports `rag.ui.app` only once per process, so the
page is drawn by calling `main` here each time rather than by the import.
"""

from rag.ui.app import main

main()
