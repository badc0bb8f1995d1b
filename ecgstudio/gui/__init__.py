"""ecgstudio.gui"""
