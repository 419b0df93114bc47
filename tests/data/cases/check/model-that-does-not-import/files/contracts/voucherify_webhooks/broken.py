raise ImportError('hand-written and broken')
