"""Speech input on the voice channel: grammars from what a block waits for, recognisers, VAD.

    grammar = grammar_for(ask, bots, language)        # None: the wait takes keys only
    recognizer = recognizer_for(settings, language)   # [speech]; one per process and language
    heard = recognizer.recognize(pcm_8k, grammar)     # Recognition(text, confidence)
    Utterances()                                       # where an utterance starts and ends

docs/speech.md says how they fit together.
"""

from .endpoint import Utterances
from .grammar import Grammar, grammar_for
from .recognizer import Recognition, Recognizer, SpeechUnavailable
from .engines import recognizer_for
from .listening import Listening

__all__ = ["Grammar", "Listening", "Recognition", "Recognizer", "SpeechUnavailable",
           "Utterances", "grammar_for", "recognizer_for"]
