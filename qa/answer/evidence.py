"""Answer-type evidence in a sentence: a date for "when", a number for "how many", a cause for "why", a speaker for "who said"."""

from __future__ import annotations

import re

from qa.answer.question import Analysis, Wants

_NUMBER_WORDS = (r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|"
                 r"hundred|hundreds|thousand|thousands|million|millions|billion|billions|dozen|dozens|half|third|"
                 r"quarter|double|twice|several|few")
NUMBER = re.compile(rf"\d|\b(?:{_NUMBER_WORDS})\b", re.I)
_MONTHS = (r"january|february|march|april|may|june|july|august|september|october|november|december|"
           r"jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec")
TIME = re.compile(
    rf"\b(?:1[5-9]\d\d|20\d\d)s?\b|\b(?:{_MONTHS})\.?\s+\d|\b(?:early|mid|late|in|since|by|until|from|last|next|this) "
    rf"(?:{_MONTHS})\b|\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|yesterday|today|tomorrow|"
    r"tonight)\b|\b(?:last|next|this|earlier this|later this) (?:year|month|week|spring|summer|autumn|fall|winter|"
    r"decade|century)\b|\b\d+\s+(?:years?|months?|weeks?|days?|decades?) (?:ago|earlier|later)\b|\b\d{1,2}(?:st|nd|rd|th)\b|"
    r"\b(?:the )?(?:19|20)\d0s\b|\bcentury\b|"
    # times set by an event, as news gives them: "on the first night of the regatta", "at the start of the season"
    r"\b(?:first|last|opening|closing|final) (?:night|day|week|weekend|match|game) of\b|"
    r"\bat the (?:start|end|beginning|close) of\b", re.I)
DURATION = re.compile(
    rf"(?:\d+|\b(?:{_NUMBER_WORDS}|a|an|several|few))[- ](?:\w+[- ])?(?:years?|months?|weeks?|days?|hours?|minutes?|"
    r"decades?|centuries|century)\b|\b(?:until|till|through|within|by) (?:the end of |at least |late |early |mid-)?"
    rf"(?:\d|{_MONTHS}|monday|tuesday|wednesday|thursday|friday|saturday|sunday|next|the weekend|further notice)",
    re.I)
_NAME = r"[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?"
PERSON = re.compile(
    rf"(?<![.!?]\s)(?<!^)\b{_NAME}(?:\s+[A-Z]\.)*\s+{_NAME}\b|\b(?:Mr|Mrs|Ms|Dr|Gen|Sen|Rep|Prof|Col|Lt|Capt)\.? {_NAME}|"
    r"\b(?:President|Minister|Mayor|Governor|Chief|Director|Professor|General|Ambassador|Commissioner|Judge|"
    rf"Spokesman|Spokeswoman|Chairman|Chairwoman|Councillor|Councilor|CEO|Mullah|King|Queen|Prince|Pope) {_NAME}")
SPEAKER = re.compile(
    r"\b(?:said|says|told|tells|according to|stated|states|warned|added|wrote|argued|explained|noted|insisted|"
    r"claimed|predicted|described|called|remarked|commented|declared|announced|acknowledged|admitted|confirmed|"
    r"replied|responded|quoted)\b", re.I)
# "said Kabulov", "Kabulov told": an attribution to a one-word name.
ATTRIBUTION = re.compile(
    r"\b(?:said|says|told|added|warned|wrote|argued|explained|noted|insisted|claimed|replied)\s+[A-Z][\w’'-]+|"
    r"\b(?!(?:He|She|They|It|We|I|You|This|That)\b)[A-Z][\w’'-]+\s+(?:said|says|told|added|warned|wrote|argued|explained|noted|insisted|claimed|replied)\b")
PLACE = re.compile(
    r"\b(?:in|at|near|from|to|into|across|outside|inside|via|through|on) (?:the )?(?:[A-Z][a-z]+|[a-z]+ (?:base|province|"
    r"city|capital|border|region|county|district|town|village|valley|river|airport|site|street|road|park|plant))\b")
REASON = re.compile(
    r"\b(?:because|due to|owing to|thanks to|as a result|result(?:ed|s)? (?:of|from)|caus(?:e|ed|es|ing)|reasons?|"
    r"so that|in order to|aim(?:s|ed|ing)? (?:to|at)|seek(?:s|ing)? to|sought to|hope(?:s|d)? (?:to|that)|"
    r"wants? to|wanted to|intends? to|in a bid to|designed to|meant to|blame[ds]?|led to|lead(?:s|ing)? to|"
    r"spark(?:ed|s)|trigger(?:ed|s)|prompt(?:ed|s)|driven by|motivat\w+|fears?|feared|threat|concerns?|"
    r"worr(?:y|ied|ies)|interests?|goal|objective|purpose|motive|given that|to counter|"
    r"to prevent|to curb|to protect|to stop|to avoid|to ensure|to secure|to gain|to reduce|to boost|first,|second,|"
    r"third,|fourth,|finally,|partly|largely|mainly|primarily|thus|therefore|hence|that is why|which is why|"
    r"attributed|stems? from|desire|in exchange|partner|ally|allies|fight against|counter|outgr[eo]wn?|too (?:small|old|costly|expensive)|could no longer|can no longer|no longer|lower cost|cheaper|shortage|demand)\b", re.I)  # noqa: E501
REACTION = re.compile(
    r"\b(?:said|says|called|dismissed|criticized|criticised|welcomed|denied|rejected|praised|condemned|responded|"
    r"reacted|replied|protested|complained|applauded|slammed|warned|urged|vowed|fell|rose|dropped|jumped|"
    r"plunged|soared|angry|anger|outrage|relief|disappoint\w*|concern\w*|frustrat\w*|support\w*|oppos\w*)\b", re.I)
# A sentence that opens by pointing back ("This means…", "He said…") leans on the sentence before it.
ANAPHORA = re.compile(
    r"^\W*(?:this|that|these|those|it(?!\s+(?:is|was|'s|’s|remains|seems|appears|has been|will be|would be)\b)|its|he|"
    r"she|they|them|his|her|their|such|the move|the decision|the latter|the former)\b", re.I)


AGE = re.compile(r"\b\d{1,3}[- ]years?[- ]old\b|\baged? \d{1,3}\b|,\s*\d{1,3},|\bage of \d{1,3}\b", re.I)


def _new(pattern: re.Pattern[str], sentence: str, question: str) -> bool:
    """Whether the pattern finds something in the sentence that the question does not already say."""
    asked = question.casefold()
    return any(m.group(0).strip().casefold() not in asked for m in pattern.finditer(sentence))


def has_evidence(wants: Wants, sentence: str, analysis: Analysis | None = None) -> bool:
    """Whether a sentence holds the kind of thing a question wants, beyond what the question itself says."""
    question = analysis.text if analysis else ""
    if wants is Wants.NUMBER:
        if analysis is not None and analysis.unit == "age":
            return bool(AGE.search(sentence))
        return _new(NUMBER, sentence, question)
    if wants is Wants.TIME:
        return _new(TIME, sentence, question)
    if wants is Wants.DURATION:
        return _new(DURATION, sentence, question) or _new(TIME, sentence, question)
    if wants is Wants.PERSON:
        return _new(PERSON, sentence, question)
    if wants is Wants.SPEAKER:
        return bool(SPEAKER.search(sentence) and (_new(PERSON, sentence, question) or _new(ATTRIBUTION, sentence, question)))
    if wants is Wants.PLACE:
        return bool(PLACE.search(sentence))
    if wants is Wants.REASON:
        return bool(REASON.search(sentence))
    if wants is Wants.REACTION:
        return bool(REACTION.search(sentence))
    return False


def leans_back(sentence: str) -> bool:
    """Whether a sentence opens with a word that points at the sentence before it."""
    return bool(ANAPHORA.search(sentence))
