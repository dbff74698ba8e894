"""Language tags bookmaker knows: ISO 639-1 codes and the ISO 639-2/3 codes books commonly carry."""

ISO_639_1 = frozenset("""
aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de dv dz ee el
en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik io is it iu ja
jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd
ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss
st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu
""".split())
COMMON_3 = frozenset("""
ast chr ckb cmn fil gsw haw hsb kab lad lkt mus nap nds nqo oji qya sco sjn tlh tok vec yue zxx und mul
""".split())


def known_language(tag: str) -> bool:
    primary = tag.split("-")[0].lower()
    return primary in ISO_639_1 or primary in COMMON_3 or primary == "x"  # x-...: private use, by design


RTL_LANGUAGES = frozenset({"ar", "he", "fa", "ur", "yi", "ps", "sd", "ug", "dv", "ckb"})


def right_to_left(tag: str) -> bool:
    """Whether a book in this language is read from right to left."""
    return tag.split("-")[0].lower() in RTL_LANGUAGES
