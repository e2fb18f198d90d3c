"""Benign, invented text pools in English, Dutch, Russian, Chinese and Indonesian.

Sentences about hobbies, weather, football, recipes and tech help, with slots filled from small
word lists so that posts vary. The base pools never contain a pandemic lexicon term, the word
"reupload", the invented token's name or an image-file extension: those only enter posts through
the planted scenario (see ``scenario.py``), which keeps the ground truth exact. A test checks it.
"""

from __future__ import annotations

import random
import re

LANGS = ("en", "nl", "ru", "zh", "id")

FILL: dict[str, dict[str, list[str]]] = {
    "en": {
        "craft": ["birdhouse", "quilt", "model railway", "bookshelf", "knitted scarf", "kite"],
        "collect": ["stamps", "old postcards", "vinyl records", "enamel pins", "coins"],
        "plant": ["tomato", "basil", "chilli", "strawberry", "courgette"],
        "city": ["Leafton", "Millbrook", "Harrowgate Bay", "Eastmere", "Kestrel Point"],
        "team": [
            "Harbour City FC",
            "Rivertown United",
            "Millbrook Athletic",
            "Eastmere Rovers",
            "Kestrel Point FC",
        ],
        "dish": [
            "lentil soup",
            "banana bread",
            "fried rice",
            "vegetable curry",
            "pancakes",
            "apple crumble",
        ],
        "ingredient": ["ginger", "smoked paprika", "brown butter", "lemon zest", "coconut milk"],
        "gadget": ["record player", "sewing machine", "e-reader", "bread maker", "drone"],
        "os": ["Debian", "Ubuntu", "Fedora", "Windows 10", "macOS"],
    },
    "nl": {
        "craft": ["vogelhuisje", "quilt", "modeltrein", "boekenkast", "sjaal"],
        "plant": ["tomaten", "basilicum", "aardbeien", "courgettes", "pompoenen"],
        "city": ["Lindendam", "Oosterveen", "Zandhoven", "Bruggeveld", "Meerwijk"],
        "team": ["FC Lindendam", "SV Oosterveen", "VV Zandhoven", "Bruggeveld Boys"],
        "dish": ["erwtensoep", "stamppot", "appeltaart", "pannenkoeken", "nasi"],
        "ingredient": ["kaneel", "gember", "spekjes", "citroen", "mosterd"],
        "gadget": ["platenspeler", "naaimachine", "broodbakmachine", "e-reader"],
    },
    "ru": {
        "craft": ["скворечник", "плед", "макет железной дороги", "книжную полку"],
        "plant": ["помидоры", "базилик", "клубнику", "огурцы", "перец"],
        "city": ["Заречье", "Берёзовка", "Светлогорье", "Озёрск-на-Луге"],
        "team": ["Заречье", "Берёзовка", "Светлогорье", "Озёрный"],
        "dish": ["борщ", "блины", "пирог с капустой", "гречку с грибами", "сырники"],
        "ingredient": ["укроп", "сметану", "чеснок", "корицу", "мёд"],
        "gadget": ["проигрыватель", "швейную машинку", "хлебопечку", "электронную книгу"],
    },
    "zh": {
        "craft": ["木头鸟屋", "手工拼布", "火车模型", "小书架"],
        "plant": ["番茄", "罗勒", "草莓", "辣椒", "黄瓜"],
        "city": ["青川", "白沙镇", "临湖", "东岭"],
        "team": ["青川队", "白沙队", "临湖队", "东岭队"],
        "dish": ["番茄炒蛋", "红烧豆腐", "饺子", "蛋炒饭", "葱油饼"],
        "ingredient": ["姜", "香菜", "蒜", "花椒", "芝麻"],
        "gadget": ["电饭锅", "缝纫机", "电子书阅读器", "唱片机"],
    },
    "id": {
        "craft": ["rumah burung", "kerajinan batik", "miniatur kereta", "rak buku"],
        "plant": ["cabai", "tomat", "kemangi", "stroberi", "terong"],
        "city": ["Tanjung Harapan", "Sukamaju", "Pantai Indah", "Bukit Hijau"],
        "team": ["Persitara Raya", "Sukamaju FC", "Bukit Hijau United", "Pantai Indah FC"],
        "dish": ["nasi goreng", "soto ayam", "rendang", "pisang goreng", "gado-gado"],
        "ingredient": ["santan", "serai", "jahe", "daun jeruk", "kecap manis"],
        "gadget": ["mesin jahit", "rice cooker", "pemutar piringan hitam", "e-reader"],
    },
}

SENT: dict[str, dict[str, list[str]]] = {
    "en": {
        "hobby": [
            "Finally finished the {craft} I started last winter.",
            "Does anyone here still collect {collect}? I found a box of them at a flea market.",
            "Our craft group meets on Thursdays at the library, newcomers welcome.",
            "Spent the whole weekend sanding an old {craft} in the shed.",
            "Picked up a second-hand {gadget} for almost nothing and it works fine.",
            "The community garden has free {plant} seedlings this week.",
            "My {plant} plants are finally flowering on the balcony.",
        ],
        "weather": [
            "It has been raining in {city} for three days straight.",
            "Finally some sun today and barely any wind.",
            "Frost forecast tonight, cover your {plant} if they are still outside.",
            "Strong wind here, the bins were all over the street this morning.",
            "Fog so thick this morning I could not see the end of the road.",
            "Warmest day of the year so far in {city}, the park was full.",
        ],
        "football": [
            "{team} looked sharp tonight, a fair result in the end.",
            "Anyone watching {team} this weekend?",
            "That keeper saved everything in the second half.",
            "Our local club is looking for volunteers to paint the stands.",
            "The referee had a rough night but the match was fun to watch.",
            "{team} really need a new striker before next season.",
        ],
        "recipes": [
            "Tried a new {dish} recipe with {ingredient}, would make it again.",
            "Tip: add the {ingredient} right at the end so it keeps its flavour.",
            "My grandmother always put a spoon of {ingredient} in her {dish}.",
            "Does anyone have a good recipe for {dish} without an oven?",
            "Batch-cooked {dish} for the week, the freezer is full now.",
            "The secret to good {dish} is patience, honestly.",
        ],
        "tech": [
            "My laptop fan keeps spinning after the last update, any ideas?",
            "Try clearing the cache and restarting the router, that fixed it for me.",
            "Which {os} version are you running? The old one had that bug.",
            "Backups saved me again today, please set them up everyone.",
            "The printer only works over the cable, never over wifi.",
            "Swapped the old hard drive for an SSD and it boots in seconds now.",
            "Check the power settings first, that is usually the culprit.",
        ],
    },
    "nl": {
        "hobby": [
            "Eindelijk mijn {craft} afgemaakt, daar ben ik sinds de winter mee bezig.",
            "Iemand zin om zaterdag mee te gaan naar de rommelmarkt in {city}?",
            "Tweedehands {gadget} gekocht voor een tientje en hij doet het prima.",
            "De volkstuin heeft deze week gratis {plant} stekjes.",
            "Mijn {plant} op het balkon doen het dit jaar super goed.",
        ],
        "weather": [
            "Het regent al drie dagen in {city}, de tuin staat blank.",
            "Eindelijk weer zon vandaag en bijna geen wind.",
            "Vannacht kans op vorst, zet je {plant} binnen.",
            "Wat een storm vannacht, de kliko's lagen over de hele straat.",
            "Dichte mist vanochtend, ik zag het eind van de straat niet.",
        ],
        "football": [
            "{team} speelde sterk vanavond, verdiende uitslag.",
            "Wie gaat er zondag kijken bij {team}?",
            "Die keeper hield alles tegen in de tweede helft.",
            "Onze club zoekt vrijwilligers voor de kantine.",
        ],
        "recipes": [
            "Nieuw recept voor {dish} geprobeerd met {ingredient}, echt lekker.",
            "Tip: doe de {ingredient} er pas op het laatst bij.",
            "Mijn oma deed altijd een lepel {ingredient} in de {dish}.",
            "Heeft iemand een goed recept voor {dish}?",
        ],
        "tech": [
            "Mijn laptop maakt veel lawaai sinds de laatste update, iemand een idee?",
            "Probeer de router even opnieuw op te starten, dat hielp bij mij.",
            "Maak alsjeblieft backups, het heeft mij vandaag weer gered.",
            "De printer werkt alleen met de kabel, nooit via wifi.",
        ],
    },
    "ru": {
        "hobby": [
            "Наконец-то закончил {craft}, начинал ещё зимой.",
            "Купил с рук {gadget} почти даром, всё работает.",
            "В общественном саду раздают рассаду, взял {plant}.",
            "Кто-нибудь пойдёт в субботу на блошиный рынок в {city}?",
            "На балконе наконец зацвели {plant}.",
        ],
        "weather": [
            "В {city} третий день идёт дождь.",
            "Сегодня наконец солнце и почти без ветра.",
            "Ночью обещают заморозки, укройте {plant}.",
            "Утром такой туман, что конца улицы не видно.",
            "Сильный ветер, все урны на улице перевернуло.",
        ],
        "football": [
            "{team} сегодня играли уверенно, счёт заслуженный.",
            "Кто смотрит матч {team} в выходные?",
            "Вратарь во втором тайме вытащил всё.",
            "Судья сегодня ошибался, но матч был интересный.",
        ],
        "recipes": [
            "Попробовал новый рецепт: {dish}, добавил {ingredient}, очень вкусно.",
            "Совет: кладите {ingredient} в самом конце.",
            "Бабушка всегда добавляла {ingredient} в {dish}.",
            "У кого есть хороший рецепт, {dish} без духовки?",
        ],
        "tech": [
            "После обновления ноутбук сильно шумит, есть идеи?",
            "Перезагрузите роутер, мне помогло.",
            "Делайте резервные копии, сегодня это меня снова спасло.",
            "Принтер работает только по кабелю, по wifi никак.",
        ],
    },
    "zh": {
        "hobby": [
            "终于把冬天开始做的{craft}做完了。",
            "二手买了个{gadget}，便宜又好用。",
            "社区菜园这周免费送{plant}苗。",
            "阳台上的{plant}终于开花了。",
            "周六有人一起去{city}的跳蚤市场吗？",
        ],
        "weather": [
            "{city}已经连续下了三天雨。",
            "今天终于出太阳了，风也不大。",
            "今晚有霜冻，记得把{plant}搬进屋。",
            "早上雾很大，看不到路的尽头。",
            "风太大了，垃圾桶都被吹倒了。",
        ],
        "football": [
            "{team}今晚踢得不错，比分很公平。",
            "周末有人看{team}的比赛吗？",
            "下半场门将扑出了所有的球。",
            "裁判今晚状态不好，但比赛很好看。",
        ],
        "recipes": [
            "试了新的{dish}做法，加了{ingredient}，很好吃。",
            "小窍门：{ingredient}最后再放。",
            "奶奶做{dish}总会放一点{ingredient}。",
            "谁有不用烤箱的{dish}做法？",
        ],
        "tech": [
            "更新以后笔记本风扇一直转，有什么办法吗？",
            "重启一下路由器试试，我就是这样解决的。",
            "大家记得备份，今天又救了我一次。",
            "打印机只能用数据线连，无线连不上。",
        ],
    },
    "id": {
        "hobby": [
            "Akhirnya selesai juga {craft} yang saya mulai bulan lalu.",
            "Beli {gadget} bekas, murah dan masih bagus.",
            "Kebun warga bagi bibit {plant} gratis minggu ini.",
            "Ada yang mau ke pasar loak di {city} hari Sabtu?",
            "Tanaman {plant} di teras akhirnya berbunga.",
        ],
        "weather": [
            "Sudah tiga hari hujan terus di {city}.",
            "Hari ini akhirnya cerah dan tidak berangin.",
            "Banjir kecil di jalan depan rumah tadi pagi.",
            "Kabut tebal sekali pagi ini.",
            "Panas sekali siang ini di {city}.",
        ],
        "football": [
            "{team} main bagus malam ini, hasilnya adil.",
            "Ada yang nonton {team} akhir pekan ini?",
            "Kipernya luar biasa di babak kedua.",
            "Wasitnya kurang bagus tapi pertandingannya seru.",
        ],
        "recipes": [
            "Coba resep {dish} baru pakai {ingredient}, enak sekali.",
            "Tips: masukkan {ingredient} paling akhir.",
            "Nenek saya selalu pakai {ingredient} untuk {dish}.",
            "Ada yang punya resep {dish} tanpa oven?",
        ],
        "tech": [
            "Laptop saya panas terus setelah update, ada saran?",
            "Coba restart router dulu, saya berhasil begitu.",
            "Jangan lupa backup data, hari ini saya terselamatkan lagi.",
            "Printer cuma jalan pakai kabel, lewat wifi tidak bisa.",
        ],
    },
}

TITLES: dict[str, list[str]] = {
    "en": [
        "Weekend plans?",
        "Bread that actually rises",
        "Router keeps dropping",
        "Garden diary",
        "What are you reading?",
        "Rainy day projects",
        "Old laptop help",
        "Match thread",
        "Soup season",
        "Show your workbench",
        "Wifi printer woes",
        "Best cheap headphones?",
        "Balcony tomatoes",
        "Flea market finds",
        "Weather chat",
        "Favourite comfort food",
        "New here, hello",
        "Bike repair tips",
    ],
    "nl": [
        "Weekendplannen?",
        "Moestuin dagboek",
        "Het weer",
        "Recepten delen",
        "Laptop hulp",
        "Voetbal praat",
        "Rommelmarkt vondsten",
        "Nieuw hier",
    ],
    "ru": [
        "Планы на выходные",
        "Дача и огород",
        "Погода",
        "Рецепты",
        "Помогите с ноутбуком",
        "Футбол",
        "Находки с барахолки",
        "Всем привет",
    ],
    "zh": [
        "周末计划",
        "阳台种菜",
        "天气",
        "家常菜谱",
        "电脑求助",
        "足球闲聊",
        "二手好物",
        "新人报到",
    ],
    "id": [
        "Rencana akhir pekan",
        "Kebun rumah",
        "Cuaca hari ini",
        "Resep masakan",
        "Bantuan laptop",
        "Ngobrol bola",
        "Barang bekas",
        "Salam kenal",
    ],
}

REPLIES: dict[str, list[str]] = {
    "en": [
        "Thanks, that helped!",
        "Same here.",
        "Agreed.",
        "Nice one!",
        "Good to know.",
        "Haha, true.",
        "Looks great.",
        "Following this.",
        "Welcome!",
        "Good luck with it.",
    ],
    "nl": [
        "Bedankt, dat hielp!",
        "Hier ook.",
        "Mee eens.",
        "Mooi gedaan!",
        "Goed om te weten.",
        "Welkom!",
    ],
    "ru": ["Спасибо, помогло!", "Согласен.", "У меня так же.", "Отлично!", "Добро пожаловать!"],
    "zh": ["谢谢，有用！", "同感。", "说得对。", "真不错！", "欢迎！"],
    "id": ["Makasih, membantu!", "Sama.", "Setuju.", "Mantap!", "Selamat datang!"],
}

TOPICS = ("hobby", "weather", "football", "recipes", "tech")

# Pages a post may link to (never image files): example domains only.
PAGE_LINKS = [
    "https://www.example.org/recipes/{n}",
    "https://docs.example.net/help/article-{n}",
    "https://weather.example.com/station/{n}",
    "https://www.example.com/club/news/{n}",
    "https://wiki.example.org/wiki/Page_{n}",
]

# ---- planted vocabulary (only the scenario uses these) ------------------------------------
WAVE_TERMS = ["covid", "corona", "lockdown", "quarantaine", "疫情", "коронавирус", "karantina"]
# the demo workspace's lexicon: the wave's terms, matched as the ground truth counts them
DEMO_LEXICONS = {"covid": WAVE_TERMS}
WAVE: dict[str, list[str]] = {
    "en": [
        "Everything here is closed because of corona.",
        "Working from home since the lockdown started.",
        "Stay safe everyone, covid cases are up again.",
        "Lockdown baking: third loaf this week.",
        "Our match got cancelled because of covid.",
        "Anyone else going slightly mad in lockdown?",
    ],
    "nl": [
        "Alles is dicht vanwege corona.",
        "Tweede week quarantaine, ik ben alle kasten aan het opruimen.",
        "De lockdown is weer verlengd.",
        "Mijn buren zitten in quarantaine, ik doe boodschappen voor ze.",
    ],
    "ru": [
        "Коронавирус добрался и до нашего города.",
        "Все говорят только про коронавирус.",
        "Коронавирус отменил все матчи в этом месяце.",
        "Сидим дома, коронавирус никуда не делся.",
    ],
    "zh": [
        "疫情期间大家都在家做饭。",
        "因为疫情，比赛都取消了。",
        "疫情好像慢慢好转了。",
        "疫情让我学会了做面包。",
    ],
    "id": [
        "Semua toko tutup karena corona.",
        "Sudah dua minggu karantina di rumah.",
        "Karantina bikin saya rajin masak.",
        "Pertandingan dibatalkan karena corona.",
    ],
}
# Whole words (Latin, Cyrillic) or substrings (Chinese), case-insensitive.
WAVE_RE = re.compile(
    r"(?i)(?<![\w])(?:covid|corona|lockdown|quarantaine|коронавирус|karantina)(?![\w])|疫情"
)

_SLOT = re.compile(r"\{(\w+)\}")


def fill(rng: random.Random, lang: str, template: str) -> str:
    words = FILL[lang]
    return _SLOT.sub(lambda m: rng.choice(words[m.group(1)]), template)


def sentences(rng: random.Random, lang: str, k: int, topic: str | None = None) -> list[str]:
    """``k`` sentences in ``lang``; mostly on one topic, as people write."""
    pool = SENT[lang]
    topic = topic or rng.choice(TOPICS)
    out = []
    for _ in range(k):
        t = topic if rng.random() < 0.75 else rng.choice(TOPICS)
        out.append(fill(rng, lang, rng.choice(pool[t])))
    return out


def joiner(lang: str) -> str:
    return "" if lang == "zh" else " "


def paragraph(rng: random.Random, lang: str, k: int, topic: str | None = None) -> str:
    return joiner(lang).join(sentences(rng, lang, k, topic))


def title(rng: random.Random, lang: str) -> str:
    return rng.choice(TITLES[lang])


def reply(rng: random.Random, lang: str) -> str:
    return rng.choice(REPLIES[lang])


def page_link(rng: random.Random) -> str:
    return rng.choice(PAGE_LINKS).format(n=rng.randrange(100, 99999))


def wave_sentence(rng: random.Random, lang: str) -> str:
    return rng.choice(WAVE[lang])


# ---- user names ------------------------------------------------------------------------------
# Each community draws names from its own vocabulary, so names never resemble each other across
# communities by accident; the one planted look-alike pair is added by the scenario.
NAME_PARTS: dict[str, tuple[list[str], list[str]]] = {
    "lantern": (
        [
            "amber",
            "misty",
            "silver",
            "hollow",
            "copper",
            "dusky",
            "velvet",
            "frosted",
            "linen",
            "cobalt",
            "gentle",
            "rusted",
            "pale",
            "shady",
            "tawny",
            "ashen",
        ],
        [
            "heron",
            "lynx",
            "otter",
            "wren",
            "badger",
            "moth",
            "newt",
            "plover",
            "stoat",
            "vole",
            "marten",
            "finch",
            "beetle",
            "gecko",
            "ibis",
            "lark",
        ],
    ),
    "polder": (
        ["Bouw", "Knutsel", "Hout", "Tuin", "Soldeer", "Schaaf", "Lijm", "Verf", "Draai", "Boor"],
        ["meester", "fan", "kabouter", "piet", "tante", "oom", "vriend", "held"],
    ),
    "harbour": (
        ["salty", "rusty", "windy", "misted", "tidal", "briny", "stormy", "sandy"],
        ["gull", "anchor", "buoy", "oar", "pier", "dune", "kelp", "tern", "keel"],
    ),
    "telegram": (
        [
            "Ana",
            "Bram",
            "Chen",
            "Dewi",
            "Eva",
            "Fedor",
            "Gita",
            "Hugo",
            "Irina",
            "Joost",
            "Kai",
            "Lies",
            "Mei",
            "Nadia",
            "Oleg",
            "Putri",
            "Ruben",
            "Sari",
            "Tom",
            "Wen",
            "Yulia",
            "Zhen",
        ],
        ["B.", "K.", "L.", "M.", "P.", "R.", "S.", "T.", "V.", "W."],
    ),
    "discord": (
        [
            "maple",
            "porch",
            "lamp",
            "garden",
            "corner",
            "brick",
            "hedge",
            "puddle",
            "mailbox",
            "sidewalk",
            "acorn",
            "chimney",
        ],
        [
            "walker",
            "sitter",
            "baker",
            "fixer",
            "reader",
            "runner",
            "grower",
            "painter",
            "keeper",
            "neighbor",
        ],
    ),
    "reddit": (
        [
            "Quiet",
            "Happy",
            "Sleepy",
            "Brave",
            "Clever",
            "Lucky",
            "Jolly",
            "Calm",
            "Eager",
            "Witty",
            "Plain",
            "Gentle",
        ],
        [
            "Pancake",
            "Teapot",
            "Lantern",
            "Walrus",
            "Pretzel",
            "Noodle",
            "Sparrow",
            "Turnip",
            "Biscuit",
            "Kettle",
            "Pebble",
            "Mitten",
        ],
    ),
}


def make_names(rng: random.Random, style: str, n: int, taken: list[str] | None = None) -> list[str]:
    """``n`` distinct user names in a community's style."""
    first, second = NAME_PARTS[style]
    seen = dict.fromkeys(taken or [])
    out: list[str] = []
    while len(out) < n:
        a, b = rng.choice(first), rng.choice(second)
        if style == "lantern":
            name = a + b + (str(rng.randrange(10, 99)) if rng.random() < 0.4 else "")
        elif style == "polder":
            name = a + b + str(rng.randrange(1, 999))
        elif style == "harbour":
            name = f"{a}_{b}" + (str(rng.randrange(1, 99)) if rng.random() < 0.5 else "")
        elif style == "telegram":
            name = f"{a} {b}" if rng.random() < 0.6 else f"{a}{rng.randrange(10, 9999)}"
        elif style == "discord":
            name = f"{a}{b}" + (str(rng.randrange(1, 999)) if rng.random() < 0.5 else "")
        else:
            name = (
                f"{a}_{b}_{rng.randrange(10, 9999)}"
                if rng.random() < 0.6
                else f"{a}{b}{rng.randrange(1, 99)}"
            )
        if name not in seen:
            seen[name] = None
            out.append(name)
    return out
