"""Embedded name lists: common US first names by sex, surnames, Hispanic names, nicknames.

Lists are ordered roughly by frequency; samplers weight them with a Zipf-like curve.
"""

from __future__ import annotations

MALE_FIRST: tuple[str, ...] = (
    "James", "Michael", "Robert", "John", "David", "William", "Richard", "Joseph", "Thomas",
    "Christopher", "Charles", "Daniel", "Matthew", "Anthony", "Mark", "Donald", "Steven",
    "Andrew", "Paul", "Joshua", "Kenneth", "Kevin", "Brian", "Timothy", "Ronald", "George",
    "Jason", "Edward", "Jeffrey", "Ryan", "Jacob", "Nicholas", "Gary", "Eric", "Jonathan",
    "Stephen", "Larry", "Justin", "Scott", "Brandon", "Benjamin", "Samuel", "Gregory",
    "Alexander", "Patrick", "Frank", "Raymond", "Jack", "Dennis", "Jerry", "Tyler", "Aaron",
    "Henry", "Douglas", "Peter", "Adam", "Nathan", "Zachary", "Walter", "Kyle", "Harold",
    "Carl", "Jeremy", "Gerald", "Keith", "Roger", "Arthur", "Terry", "Lawrence", "Sean",
    "Christian", "Ethan", "Austin", "Joe", "Albert", "Jesse", "Willie", "Billy", "Bryan",
    "Bruce", "Noah", "Jordan", "Dylan", "Ralph", "Roy", "Alan", "Wayne", "Eugene", "Juan",
    "Gabriel", "Louis", "Russell", "Randy", "Vincent", "Philip", "Logan", "Bobby", "Harry",
    "Johnny", "Liam", "Mason", "Elijah", "Lucas", "Oliver", "Aiden", "Caleb", "Isaiah",
    "Jamal", "Darnell", "DeShawn", "Terrell", "Malik", "Andre", "Marcus", "Tyrone", "Wei",
    "Minh", "Raj", "Vikram", "Hiroshi", "Jin", "Sanjay", "Tariq", "Omar", "Ahmed",
)

FEMALE_FIRST: tuple[str, ...] = (
    "Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan", "Jessica",
    "Sarah", "Karen", "Lisa", "Nancy", "Betty", "Sandra", "Margaret", "Ashley", "Kimberly",
    "Emily", "Donna", "Michelle", "Carol", "Amanda", "Melissa", "Deborah", "Stephanie",
    "Dorothy", "Rebecca", "Sharon", "Laura", "Cynthia", "Amy", "Kathleen", "Angela",
    "Shirley", "Brenda", "Emma", "Anna", "Pamela", "Nicole", "Samantha", "Katherine",
    "Christine", "Helen", "Debra", "Rachel", "Carolyn", "Janet", "Maria", "Catherine",
    "Heather", "Diane", "Olivia", "Julie", "Joyce", "Victoria", "Ruth", "Virginia", "Lauren",
    "Kelly", "Christina", "Joan", "Evelyn", "Judith", "Andrea", "Hannah", "Megan", "Cheryl",
    "Jacqueline", "Martha", "Madison", "Teresa", "Gloria", "Sara", "Janice", "Ann",
    "Kathryn", "Abigail", "Sophia", "Frances", "Jean", "Alice", "Judy", "Isabella", "Julia",
    "Grace", "Amber", "Denise", "Danielle", "Marilyn", "Beverly", "Charlotte", "Natalie",
    "Theresa", "Diana", "Brittany", "Doris", "Kayla", "Alexis", "Lori", "Ava", "Mia",
    "Harper", "Chloe", "Aaliyah", "Keisha", "Latoya", "Tamika", "Ebony", "Jasmine", "Imani",
    "Mei", "Priya", "Yuki", "Aisha", "Fatima", "Ngoc", "Lan", "Anjali",
)

HISPANIC_MALE_FIRST: tuple[str, ...] = (
    "José", "Juan", "Luis", "Carlos", "Jesús", "Miguel", "Francisco", "Antonio", "Alejandro",
    "Jorge", "Pedro", "Manuel", "Ricardo", "Fernando", "Roberto", "Eduardo", "Javier",
    "Rafael", "Raúl", "Sergio", "Enrique", "Ignacio", "Andrés", "Héctor", "Rubén", "Martín",
    "Óscar", "Ramón", "Julián", "Joaquín", "Adrián", "Iván", "Mateo", "Santiago", "Diego",
)

HISPANIC_FEMALE_FIRST: tuple[str, ...] = (
    "María", "Guadalupe", "Ana", "Rosa", "Carmen", "Juana", "Verónica", "Sofía", "Isabel",
    "Lucía", "Gabriela", "Adriana", "Alejandra", "Leticia", "Dolores", "Elena", "Patricia",
    "Mónica", "Beatriz", "Araceli", "Yolanda", "Marisol", "Inés", "Raquel", "Ximena",
    "Valentina", "Camila", "Daniela", "Angélica", "Itzel", "Nayeli", "Rocío", "Belén",
)

SURNAMES: tuple[str, ...] = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson",
    "Taylor", "Thomas", "Moore", "Jackson", "Martin", "Lee", "Thompson", "White", "Harris",
    "Clark", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott",
    "Hill", "Green", "Adams", "Baker", "Nelson", "Carter", "Mitchell", "Roberts", "Turner",
    "Phillips", "Campbell", "Parker", "Evans", "Edwards", "Collins", "Stewart", "Morris",
    "Rogers", "Reed", "Cook", "Morgan", "Bell", "Murphy", "Bailey", "Cooper", "Richardson",
    "Cox", "Howard", "Ward", "Peterson", "Gray", "Watson", "Brooks", "Kelly", "Sanders",
    "Price", "Bennett", "Wood", "Barnes", "Ross", "Henderson", "Coleman", "Jenkins", "Perry",
    "Powell", "Long", "Patterson", "Hughes", "Washington", "Butler", "Simmons", "Foster",
    "Bryant", "Alexander", "Russell", "Griffin", "Hayes", "Myers", "Ford", "Hamilton",
    "Graham", "Sullivan", "Wallace", "Woods", "Cole", "West", "Jordan", "Owens", "Reynolds",
    "Fisher", "Ellis", "Harrison", "Gibson", "McDonald", "Marshall", "Murray", "Freeman",
    "Wells", "Webb", "Simpson", "Stevens", "Tucker", "Porter", "Hunter", "Hicks", "Crawford",
    "Henry", "Boyd", "Mason", "Kennedy", "Warren", "Dixon", "Burns", "Gordon", "Shaw",
    "Holmes", "Rice", "Robertson", "Hunt", "Black", "Daniels", "Palmer", "Mills", "Nichols",
    "Grant", "Knight", "Ferguson", "Stone", "Hawkins", "Dunn", "Perkins", "Hudson", "Spencer",
    "Gardner", "Stephens", "Payne", "Pierce", "Berry", "Matthews", "Arnold", "Wagner",
    "Willis", "Ray", "Watkins", "Olson", "Carroll", "Duncan", "Snyder", "Hart", "Cunningham",
    "Bradley", "Lane", "Andrews", "Harper", "Fox", "Riley", "Armstrong", "Carpenter",
    "Weaver", "Greene", "Lawrence", "Elliott", "Chavez", "Sims", "Austin", "Peters", "Kelley",
    "Franklin", "Lawson", "Fields", "Ryan", "Schmidt", "Carr", "Castillo", "Wheeler", "Chapman",
    "Oliver", "Montgomery", "Richards", "Williamson", "Johnston", "Banks", "Meyer", "Bishop",
    "McCoy", "Howell", "Morrison", "Hansen", "Harvey", "Little", "Burton", "Stanley",
    "Nguyen", "George", "Jacobs", "Reid", "Fuller", "Lynch", "Dean", "Gilbert", "Romero",
    "Welch", "Larson", "Frazier", "Burke", "Hanson", "Day", "Moreno", "Bowman", "Fowler",
    "O'Brien", "O'Connor", "McCarthy", "Kowalski", "Nowak", "Wiśniewski", "Schultz", "Becker",
    "Hoffmann", "Kim", "Park", "Chen", "Wang", "Liu", "Patel", "Shah", "Singh", "Tran", "Le",
    "Pham", "Yamamoto", "Tanaka", "Khan", "Ali", "Van Dyke", "St. John", "DeLuca", "Russo",
)

HISPANIC_SURNAMES: tuple[str, ...] = (
    "García", "Rodríguez", "Martínez", "Hernández", "López", "González", "Pérez", "Sánchez",
    "Ramírez", "Torres", "Flores", "Rivera", "Gómez", "Díaz", "Reyes", "Morales", "Cruz",
    "Ortiz", "Gutiérrez", "Chávez", "Ramos", "Ruiz", "Álvarez", "Mendoza", "Vásquez",
    "Castillo", "Jiménez", "Moreno", "Romero", "Herrera", "Medina", "Aguilar", "Vargas",
    "Muñoz", "Peña", "Nuñez", "Ibáñez", "Castañeda", "Ordóñez", "Domínguez", "Salazar",
    "Navarro", "Delgado", "Guzmán", "Soto", "De La Cruz", "Del Río", "Zúñiga", "Montañez",
)

# Formal name -> common nicknames (used as a record-level defect).
NICKNAMES: dict[str, tuple[str, ...]] = {
    "William": ("Bill", "Will", "Billy"), "Robert": ("Bob", "Rob", "Bobby"),
    "Elizabeth": ("Liz", "Beth", "Betty"), "Katherine": ("Kate", "Kathy", "Katie"),
    "Margaret": ("Peggy", "Maggie", "Meg"), "Richard": ("Dick", "Rick", "Rich"),
    "James": ("Jim", "Jimmy", "Jamie"), "José": ("Pepe", "Joe"), "Michael": ("Mike",),
    "Christopher": ("Chris",), "Joseph": ("Joe", "Joey"), "Thomas": ("Tom", "Tommy"),
    "Charles": ("Charlie", "Chuck"), "Daniel": ("Dan", "Danny"), "Matthew": ("Matt",),
    "Anthony": ("Tony",), "Steven": ("Steve",), "Edward": ("Ed", "Eddie", "Ted"),
    "Andrew": ("Andy", "Drew"), "Joshua": ("Josh",), "Benjamin": ("Ben",),
    "Samuel": ("Sam",), "Alexander": ("Alex",), "Nicholas": ("Nick",), "Jonathan": ("Jon",),
    "Timothy": ("Tim",), "Gregory": ("Greg",), "Patrick": ("Pat",), "Kenneth": ("Ken",),
    "Ronald": ("Ron",), "Donald": ("Don",), "Lawrence": ("Larry",), "Francisco": ("Paco", "Pancho"),
    "Jennifer": ("Jen", "Jenny"), "Jessica": ("Jess",), "Rebecca": ("Becky",),
    "Deborah": ("Debbie", "Deb"), "Susan": ("Sue",), "Patricia": ("Pat", "Patty", "Tricia"),
    "Victoria": ("Vicky",), "Samantha": ("Sam",), "Christine": ("Chris",),
    "Kimberly": ("Kim",), "Jacqueline": ("Jackie",), "Abigail": ("Abby",),
    "Dorothy": ("Dot",), "Guadalupe": ("Lupe",), "Dolores": ("Lola",), "Jesús": ("Chuy",),
    "Ignacio": ("Nacho",), "Enrique": ("Kike",), "Eduardo": ("Lalo",), "Roberto": ("Beto",),
    "Alejandro": ("Alex",), "Catherine": ("Cathy", "Kate"), "Cynthia": ("Cindy",),
    "Pamela": ("Pam",), "Barbara": ("Barb",), "Kathleen": ("Kathy",),
}

STREET_NAMES: tuple[str, ...] = (
    "Main", "Oak", "Maple", "Washington", "Lincoln", "Park", "Elm", "Pine", "Cedar", "Lake",
    "Hill", "Walnut", "Jefferson", "Madison", "Church", "Prairie", "Grand", "State", "Market",
    "Jackson", "Adams", "Monroe", "Cottage Grove", "Halsted", "Ashland", "Western", "Pulaski",
    "Cicero", "Harlem", "Division", "Chicago", "Roosevelt", "Cermak", "Ogden", "Archer",
    "Kedzie", "Sheridan", "Green Bay", "Milwaukee", "Northwest", "Lakeview", "Sunset",
    "Meadow", "Willow", "Hickory", "Sycamore", "Chestnut", "Birch", "Highland", "River",
    "Mill", "Center", "College", "University", "Illinois", "Wabash", "Michigan", "Clark",
)
STREET_SUFFIXES: tuple[str, ...] = ("St", "Ave", "Rd", "Dr", "Blvd", "Ln", "Ct", "Pl", "Way")
STREET_DIRECTIONS: tuple[str, ...] = ("", "", "", "N", "S", "E", "W")
