"""Small rules of English prose for text that people type into one place and the product
shows in another.

A recipient is typed as it is addressed ("The US Secretary of State"), and then shown inside
a sentence: "42 organisations urge the US Secretary of State …", "Delivered on 4 May to the
Foreign Secretary". Only a leading English article "The" followed by a word is lowered;
other words and scripts are untouched.
"""

import re

_LEADING_ARTICLE = re.compile(r"^The(?=\s+\S)")


def mid_sentence(text: str) -> str:
    """`text` as it reads inside an English sentence: "The US Secretary of State" → "the US
    Secretary of State". Anything that does not start with the article "The" is unchanged."""
    return _LEADING_ARTICLE.sub("the", text or "", count=1)
