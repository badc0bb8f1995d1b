"""ecgstudio.io"""
