"""npubench's own MMLU-format questions (written for this project; no benchmark text is copied).

Each subject has a dev split (the few-shot examples) and a test split. Rows follow the hendrycks
layout: question, A, B, C, D, answer letter. `basic_arithmetic` is generated from a seeded generator;
the other subjects are hand-written, two of them in Korean.
"""
import random

HAND_WRITTEN = {
    "computing_basics": {
        "dev": [
            ("How many bits are in one byte?", "4", "8", "16", "32", "B"),
            ("Which number system uses only the digits 0 and 1?", "Decimal", "Octal", "Binary", "Hexadecimal", "C"),
            ("What does a compiler do?", "Translates source code into another form, such as machine code", "Cools the processor", "Stores files permanently", "Connects computers to a network", "A"),
            ("Which memory loses its contents when the power is turned off?", "ROM", "Flash memory", "A hard disk", "RAM", "D"),
            ("What is the hexadecimal value of the decimal number 255?", "FF", "EE", "F0", "100", "A"),
        ],
        "test": [
            ("Which data structure serves items in first-in, first-out order?", "A stack", "A queue", "A binary tree", "A hash set", "B"),
            ("What is 1010 in binary, written in decimal?", "8", "12", "10", "5", "C"),
            ("Which of these is an input device?", "A monitor", "A printer", "A speaker", "A keyboard", "D"),
            ("What does CPU stand for?", "Central Processing Unit", "Computer Power Unit", "Core Program Utility", "Central Peripheral Unit", "A"),
            ("A loop that never reaches its exit condition is called", "a nested loop", "an infinite loop", "a recursive call", "a compiled loop", "B"),
            ("How many distinct values can 3 bits represent?", "3", "6", "8", "9", "C"),
            ("Which unit is the largest?", "Kilobyte", "Megabyte", "Gigabyte", "Terabyte", "D"),
            ("What does an operating system manage?", "Hardware resources and running programs", "Only the screen brightness", "Only spreadsheets", "Only network cables", "A"),
            ("Searching a sorted list by halving the range each step is called", "linear search", "binary search", "bubble sort", "hashing", "B"),
            ("Which logic gate outputs 1 only when both inputs are 1?", "OR", "XOR", "AND", "NOT", "C"),
        ],
    },
    "everyday_science": {
        "dev": [
            ("At sea level, water boils at about which temperature?", "50 degrees Celsius", "100 degrees Celsius", "150 degrees Celsius", "212 degrees Celsius", "B"),
            ("Which gas do plants take in for photosynthesis?", "Oxygen", "Nitrogen", "Carbon dioxide", "Helium", "C"),
            ("What force pulls objects toward the centre of the Earth?", "Gravity", "Friction", "Magnetism", "Buoyancy", "A"),
            ("Which planet is closest to the Sun?", "Venus", "Earth", "Mars", "Mercury", "D"),
            ("Ice is water in which state?", "Gas", "Solid", "Liquid", "Plasma", "B"),
        ],
        "test": [
            ("Which organ pumps blood around the human body?", "The heart", "The lungs", "The liver", "The kidneys", "A"),
            ("Sound cannot travel through which of these?", "Water", "Steel", "A vacuum", "Air", "C"),
            ("What is the main gas in the air we breathe?", "Oxygen", "Carbon dioxide", "Argon", "Nitrogen", "D"),
            ("A rainbow forms when sunlight is", "absorbed by clouds", "split into colours by water droplets", "reflected by the Moon", "blocked by mountains", "B"),
            ("Which of these is a mammal?", "A whale", "A shark", "A salmon", "An octopus", "A"),
            ("What is the chemical formula of table salt?", "H2O", "CO2", "NaCl", "O2", "C"),
            ("Which part of a plant usually absorbs water from the soil?", "The flower", "The leaf", "The stem", "The roots", "D"),
            ("Light from the Sun reaches the Earth in about", "8 seconds", "8 minutes", "8 hours", "8 days", "B"),
        ],
    },
    "korean_culture": {
        "dev": [
            ("한글을 만든 조선의 왕은 누구인가?", "태조", "세종", "정조", "영조", "B"),
            ("대한민국의 수도는 어디인가?", "부산", "인천", "서울", "대구", "C"),
            ("추석에 흔히 먹는 떡은 무엇인가?", "송편", "떡국", "인절미", "시루떡", "A"),
            ("한국의 전통 의복을 무엇이라고 하는가?", "기모노", "치파오", "사리", "한복", "D"),
            ("설날에 먹는 대표적인 음식은 무엇인가?", "냉면", "떡국", "삼계탕", "팥죽", "B"),
        ],
        "test": [
            ("태극기 가운데에 있는 무늬는 무엇인가?", "태극 문양", "무궁화", "호랑이", "별", "A"),
            ("대한민국의 나라꽃은 무엇인가?", "장미", "벚꽃", "무궁화", "진달래", "C"),
            ("김치를 많이 담그는 늦가을의 행사를 무엇이라고 하는가?", "단오", "김장", "동지", "한식", "B"),
            ("한국의 전통 가옥을 무엇이라고 하는가?", "한옥", "다다미", "게르", "이글루", "A"),
            ("제주도에 있는 한국에서 가장 높은 산은 무엇인가?", "설악산", "지리산", "북한산", "한라산", "D"),
            ("한글의 기본 자음은 모두 몇 개인가?", "10개", "14개", "19개", "24개", "B"),
            ("판소리를 공연할 때 북을 치며 장단을 맞추는 사람은 누구인가?", "소리꾼", "무당", "고수", "광대", "C"),
            ("정월 대보름에 부럼으로 깨무는 것은 무엇인가?", "호두나 땅콩 같은 견과류", "사탕", "얼음", "과자", "A"),
        ],
    },
    "korean_science": {
        "dev": [
            ("물의 화학식은 무엇인가?", "CO2", "H2O", "O2", "NaCl", "B"),
            ("지구가 태양 주위를 한 바퀴 도는 데 걸리는 시간은 약 얼마인가?", "하루", "한 달", "일 년", "십 년", "C"),
            ("식물이 빛을 이용해 양분을 만드는 과정을 무엇이라고 하는가?", "광합성", "호흡", "증발", "소화", "A"),
            ("소리가 전달되지 않는 곳은 어디인가?", "물속", "공기 중", "철 속", "진공", "D"),
            ("사람의 몸에서 혈액을 온몸으로 보내는 기관은 무엇인가?", "폐", "심장", "간", "위", "B"),
        ],
        "test": [
            ("물이 얼음으로 변하는 온도는 섭씨 몇 도인가?", "0도", "10도", "50도", "100도", "A"),
            ("태양계에서 가장 큰 행성은 무엇인가?", "지구", "화성", "목성", "금성", "C"),
            ("자석에서 같은 극끼리는 어떻게 되는가?", "서로 당긴다", "서로 밀어낸다", "아무 일도 없다", "녹는다", "B"),
            ("달이 스스로 빛을 내지 않는데도 밝게 보이는 까닭은?", "달이 불타기 때문에", "별빛을 모으기 때문에", "지구의 불빛 때문에", "햇빛을 반사하기 때문에", "D"),
            ("식물의 뿌리가 하는 일로 알맞은 것은?", "물을 흡수한다", "꽃가루를 만든다", "빛을 낸다", "소리를 듣는다", "A"),
            ("전기가 잘 통하는 물질은 무엇인가?", "고무", "나무", "구리", "유리", "C"),
            ("공기 중에 가장 많이 들어 있는 기체는 무엇인가?", "산소", "이산화 탄소", "수소", "질소", "D"),
            ("1킬로그램은 몇 그램인가?", "10그램", "1000그램", "100그램", "10000그램", "B"),
        ],
    },
}


def arithmetic_questions(rng, count):
    """Sums, differences and products of small numbers with three plausible wrong answers."""
    rows = []
    for _ in range(count):
        a, b = rng.randint(2, 40), rng.randint(2, 40)
        op = rng.choice(["+", "-", "*"])
        value = a + b if op == "+" else a - b if op == "-" else a * b
        wrong = set()
        while len(wrong) < 3:
            candidate = value + rng.choice([-10, -2, -1, 1, 2, 10, a, -b])
            if candidate != value:
                wrong.add(candidate)
        options = [value, *sorted(wrong)]
        rng.shuffle(options)
        letter = "ABCD"[options.index(value)]
        symbol = {"+": "plus", "-": "minus", "*": "times"}[op]
        rows.append((f"What is {a} {symbol} {b}?", *[str(o) for o in options], letter))
    return rows


def builtin_subjects():
    rng = random.Random(20261127)
    subjects = {"basic_arithmetic": {"dev": arithmetic_questions(rng, 5), "test": arithmetic_questions(rng, 12)}}
    subjects.update(HAND_WRITTEN)
    return subjects
