"""The chat page (`rag ui`): shipped inside the package so an installed wheel can serve it.

`app` is the Streamlit script and needs the `ui` extra; `rendering` is plain Python. Nothing is
imported here, so `import rag.ui.rendering` does not pull in Streamlit.
"""
