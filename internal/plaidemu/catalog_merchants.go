package plaidemu

// Plaid's personal finance categories (primary and detailed) used by the
// generated data.
type category struct {
	Primary  string
	Detailed string
}

// Category indexes; noCategory marks a transaction Plaid could not classify
// (personal_finance_category is null).
const noCategory = -1

var categories = []category{
	{"INCOME", "INCOME_WAGES"},                                               // 0
	{"INCOME", "INCOME_INTEREST_EARNED"},                                     // 1
	{"TRANSFER_IN", "TRANSFER_IN_ACCOUNT_TRANSFER"},                          // 2
	{"TRANSFER_OUT", "TRANSFER_OUT_ACCOUNT_TRANSFER"},                        // 3
	{"TRANSFER_OUT", "TRANSFER_OUT_WITHDRAWAL"},                              // 4
	{"LOAN_PAYMENTS", "LOAN_PAYMENTS_CREDIT_CARD_PAYMENT"},                   // 5
	{"LOAN_PAYMENTS", "LOAN_PAYMENTS_STUDENT_LOAN_PAYMENT"},                  // 6
	{"LOAN_PAYMENTS", "LOAN_PAYMENTS_MORTGAGE_PAYMENT"},                      // 7
	{"RENT_AND_UTILITIES", "RENT_AND_UTILITIES_RENT"},                        // 8
	{"RENT_AND_UTILITIES", "RENT_AND_UTILITIES_GAS_AND_ELECTRICITY"},         // 9
	{"RENT_AND_UTILITIES", "RENT_AND_UTILITIES_INTERNET_AND_CABLE"},          // 10
	{"RENT_AND_UTILITIES", "RENT_AND_UTILITIES_TELEPHONE"},                   // 11
	{"FOOD_AND_DRINK", "FOOD_AND_DRINK_COFFEE"},                              // 12
	{"FOOD_AND_DRINK", "FOOD_AND_DRINK_RESTAURANT"},                          // 13
	{"FOOD_AND_DRINK", "FOOD_AND_DRINK_GROCERIES"},                           // 14
	{"FOOD_AND_DRINK", "FOOD_AND_DRINK_FAST_FOOD"},                           // 15
	{"FOOD_AND_DRINK", "FOOD_AND_DRINK_BEER_WINE_AND_LIQUOR"},                // 16
	{"GENERAL_MERCHANDISE", "GENERAL_MERCHANDISE_ONLINE_MARKETPLACES"},       // 17
	{"GENERAL_MERCHANDISE", "GENERAL_MERCHANDISE_SUPERSTORES"},               // 18
	{"GENERAL_MERCHANDISE", "GENERAL_MERCHANDISE_BOOKSTORES_AND_NEWSSTANDS"}, // 19
	{"GENERAL_MERCHANDISE", "GENERAL_MERCHANDISE_ELECTRONICS"},               // 20
	{"GENERAL_MERCHANDISE", "GENERAL_MERCHANDISE_CLOTHING_AND_ACCESSORIES"},  // 21
	{"GENERAL_MERCHANDISE", "GENERAL_MERCHANDISE_PET_SUPPLIES"},              // 22
	{"TRANSPORTATION", "TRANSPORTATION_TAXIS_AND_RIDE_SHARES"},               // 23
	{"TRANSPORTATION", "TRANSPORTATION_GAS"},                                 // 24
	{"TRANSPORTATION", "TRANSPORTATION_PUBLIC_TRANSIT"},                      // 25
	{"TRANSPORTATION", "TRANSPORTATION_PARKING"},                             // 26
	{"ENTERTAINMENT", "ENTERTAINMENT_TV_AND_MOVIES"},                         // 27
	{"ENTERTAINMENT", "ENTERTAINMENT_MUSIC_AND_AUDIO"},                       // 28
	{"TRAVEL", "TRAVEL_FLIGHTS"},                                             // 29
	{"TRAVEL", "TRAVEL_LODGING"},                                             // 30
	{"TRAVEL", "TRAVEL_RENTAL_CARS"},                                         // 31
	{"MEDICAL", "MEDICAL_PHARMACIES_AND_SUPPLEMENTS"},                        // 32
	{"PERSONAL_CARE", "PERSONAL_CARE_GYMS_AND_FITNESS_CENTERS"},              // 33
	{"PERSONAL_CARE", "PERSONAL_CARE_HAIR_AND_BEAUTY"},                       // 34
	{"HOME_IMPROVEMENT", "HOME_IMPROVEMENT_HARDWARE"},                        // 35
	{"GENERAL_SERVICES", "GENERAL_SERVICES_INSURANCE"},                       // 36
	{"GENERAL_SERVICES", "GENERAL_SERVICES_POSTAGE_AND_SHIPPING"},            // 37
	{"GENERAL_SERVICES", "GENERAL_SERVICES_OTHER_GENERAL_SERVICES"},          // 38
	{"GOVERNMENT_AND_NON_PROFIT", "GOVERNMENT_AND_NON_PROFIT_DONATIONS"},     // 39
	{"BANK_FEES", "BANK_FEES_FOREIGN_TRANSACTION_FEES"},                      // 40
	{"INCOME", "INCOME_OTHER_INCOME"},                                        // 41
}

// Plaid's two personal finance category taxonomies.
const (
	PFCv1 = "v1"
	PFCv2 = "v2"
)

// v2Renamed are the categories whose v2 names differ from v1 in the
// emulator's v2 taxonomy (see the emulator README for what could not be
// checked against Plaid's published taxonomy).
var v2Renamed = map[string]category{
	"INCOME_WAGES":        {"INCOME", "INCOME_SALARY"},
	"INCOME_OTHER_INCOME": {"INCOME", "INCOME_OTHER"},
}

// categoriesV2 are categories in the v2 taxonomy, index for index.
var categoriesV2 = func() []category {
	out := make([]category, len(categories))
	for i, c := range categories {
		out[i] = c
		if r, ok := v2Renamed[c.Detailed]; ok {
			out[i] = r
		}
	}
	return out
}()

// taxonomy returns the category table of a PFC version.
func taxonomy(version string) []category {
	if version == PFCv2 {
		return categoriesV2
	}
	return categories
}

// Indexes of the categories that recurring activity uses.
const (
	catWages         = 0
	catInterest      = 1
	catTransferIn    = 2
	catTransferOut   = 3
	catWithdrawal    = 4
	catCardPayment   = 5
	catStudentLoan   = 6
	catMortgage      = 7
	catRent          = 8
	catElectricity   = 9
	catInternet      = 10
	catTelephone     = 11
	firstPurchaseCat = 12 // categories from here on are what purchases move between
	lastPurchaseCat  = 39
	catOtherIncome   = 41
)

// place is a store location.
type place struct {
	Address, City, Region, Postal, Country string
	Lat, Lon                               float64
	Store                                  string
}

var (
	sanFrancisco = place{"1 Market St", "San Francisco", "CA", "94105", "US", 37.7946, -122.3950, ""}
	newYork      = place{"350 5th Ave", "New York", "NY", "10118", "US", 40.7484, -73.9857, ""}
	austin       = place{"500 W 2nd St", "Austin", "TX", "78701", "US", 30.2653, -97.7489, ""}
	chicago      = place{"233 S Wacker Dr", "Chicago", "IL", "60606", "US", 41.8789, -87.6359, ""}
	seattle      = place{"400 Broad St", "Seattle", "WA", "98109", "US", 47.6205, -122.3493, ""}
	tokyo        = place{"2-21-1 Shibuya", "渋谷区", "東京都", "150-0002", "JP", 35.6590, 139.7037, ""}
	moscow       = place{"ул. Тверская, 7", "Москва", "", "125009", "RU", 55.7601, 37.6108, ""}
	dubai        = place{"Sheikh Mohammed bin Rashid Blvd", "دبي", "", "", "AE", 25.1972, 55.2744, ""}
	paris        = place{"172 Bd Saint-Germain", "Paris", "", "75006", "FR", 48.8540, 2.3326, ""}
	london       = place{"10 Downing St", "London", "", "SW1A 2AA", "GB", 51.5034, -0.1276, ""}
	toronto      = place{"290 Bremner Blvd", "Toronto", "ON", "M5V 3L9", "CA", 43.6426, -79.3871, ""}
)

// merchant is a counterparty of generated transactions: stores people buy
// from and the payers and payees of recurring money movements.
type merchant struct {
	Name         string // transaction name once posted
	MerchantName string // merchant_name; "" is sent as null
	PendingName  string // raw descriptor while pending; "" = Name
	Category     int
	Channel      string // payment_channel: "in store", "online", "other"
	MinCents     int64
	MaxCents     int64
	Weight       int // frequency among purchases; 0 = not a store
	Tips         bool
	Refunds      bool
	Website      string
	Places       []place
	Foreign      bool // where foreign-currency accounts shop
	EntityID     string
}

// Merchants. Names include what trips up naive encoders (quotes, commas,
// backslashes including a trailing one, '=' signs, emoji, non-Latin text).
var merchants = []merchant{
	// Stores people buy from, by weight.
	{Name: "Starbucks", MerchantName: "Starbucks", PendingName: "STARBUCKS STORE 05512", Category: 12, Channel: "in store",
		MinCents: 350, MaxCents: 1450, Weight: 60, Website: "starbucks.com", Places: []place{sanFrancisco, seattle, newYork}},
	{Name: "Blue Bottle Coffee", MerchantName: "Blue Bottle Coffee", PendingName: "SQ *BLUE BOTTLE COF", Category: 12, Channel: "in store",
		MinCents: 450, MaxCents: 1600, Weight: 25, Website: "bluebottlecoffee.com", Places: []place{sanFrancisco, tokyo}},
	{Name: `Joe's "Best" Pizza`, MerchantName: `Joe's "Best" Pizza`, PendingName: `SQ *JOE'S "BEST" PIZZA`, Category: 13, Channel: "in store",
		MinCents: 1200, MaxCents: 5800, Weight: 20, Tips: true, Places: []place{newYork}},
	{Name: "Café, Bar & Grill", MerchantName: "Café, Bar & Grill", PendingName: "TST* CAFE BAR GRILL", Category: 13, Channel: "in store",
		MinCents: 1800, MaxCents: 9500, Weight: 18, Tips: true, Places: []place{chicago, austin}},
	{Name: "🍕 Pizza Planet", MerchantName: "🍕 Pizza Planet", Category: 15, Channel: "in store",
		MinCents: 900, MaxCents: 3400, Weight: 12, Places: []place{austin}},
	{Name: "スターバックス 渋谷店", MerchantName: "スターバックス", Category: 12, Channel: "in store",
		MinCents: 400, MaxCents: 1200, Weight: 4, Places: []place{tokyo}},
	{Name: "Кофейня «Шоколадница»", MerchantName: "Шоколадница", Category: 13, Channel: "in store",
		MinCents: 800, MaxCents: 4200, Weight: 4, Tips: true, Places: []place{moscow}},
	{Name: "مطعم الشام", MerchantName: "مطعم الشام", Category: 13, Channel: "in store",
		MinCents: 1500, MaxCents: 6000, Weight: 4, Tips: true, Places: []place{dubai}},
	{Name: "Whole Foods Market", MerchantName: "Whole Foods Market", PendingName: "WHOLEFDS SFO 10233", Category: 14, Channel: "in store",
		MinCents: 1500, MaxCents: 18000, Weight: 40, Refunds: true, Website: "wholefoodsmarket.com", Places: []place{sanFrancisco, austin}},
	{Name: "Trader Joe's", MerchantName: "Trader Joe's", PendingName: "TRADER JOE S #131", Category: 14, Channel: "in store",
		MinCents: 1200, MaxCents: 14000, Weight: 35, Website: "traderjoes.com", Places: []place{seattle, chicago}},
	{Name: "Safeway", MerchantName: "Safeway", Category: 14, Channel: "in store",
		MinCents: 800, MaxCents: 12000, Weight: 20, Refunds: true, Website: "safeway.com", Places: []place{sanFrancisco}},
	{Name: "McDonald's", MerchantName: "McDonald's", PendingName: "MCDONALD'S F1234", Category: 15, Channel: "in store",
		MinCents: 400, MaxCents: 1800, Weight: 20, Website: "mcdonalds.com", Places: []place{chicago, austin, newYork}},
	{Name: "Chipotle Mexican Grill", MerchantName: "Chipotle Mexican Grill", Category: 15, Channel: "in store",
		MinCents: 900, MaxCents: 2600, Weight: 15, Website: "chipotle.com", Places: []place{austin, seattle}},
	{Name: "Total Wine & More", MerchantName: "Total Wine & More", Category: 16, Channel: "in store",
		MinCents: 1500, MaxCents: 9000, Weight: 5, Website: "totalwine.com", Places: []place{chicago}},
	{Name: "Amazon", MerchantName: "Amazon", PendingName: "AMZN Mktp US*2K4LL0H12", Category: 17, Channel: "online",
		MinCents: 599, MaxCents: 24000, Weight: 45, Refunds: true, Website: "amazon.com"},
	{Name: "Target", MerchantName: "Target", PendingName: "TARGET 00027459", Category: 18, Channel: "in store",
		MinCents: 500, MaxCents: 16000, Weight: 20, Refunds: true, Website: "target.com", Places: []place{austin, chicago}},
	{Name: "Walmart", MerchantName: "Walmart", Category: 18, Channel: "in store",
		MinCents: 400, MaxCents: 20000, Weight: 15, Refunds: true, Website: "walmart.com", Places: []place{austin}},
	{Name: `Back\Slash Books\`, MerchantName: `Back\Slash Books\`, Category: 19, Channel: "in store",
		MinCents: 800, MaxCents: 6500, Weight: 6, Refunds: true, Places: []place{seattle}},
	{Name: "Best Buy", MerchantName: "Best Buy", Category: 20, Channel: "in store",
		MinCents: 1500, MaxCents: 90000, Weight: 3, Refunds: true, Website: "bestbuy.com", Places: []place{sanFrancisco}},
	{Name: "Uniqlo", MerchantName: "Uniqlo", Category: 21, Channel: "in store",
		MinCents: 1500, MaxCents: 15000, Weight: 5, Refunds: true, Website: "uniqlo.com", Places: []place{newYork, tokyo}},
	{Name: "Chewy", MerchantName: "Chewy", Category: 22, Channel: "online",
		MinCents: 1500, MaxCents: 12000, Weight: 4, Website: "chewy.com"},
	{Name: "Uber", MerchantName: "Uber", PendingName: "UBER *TRIP HELP.UBER.COM", Category: 23, Channel: "online",
		MinCents: 700, MaxCents: 6500, Weight: 20, Tips: true, Website: "uber.com"},
	{Name: "Lyft", MerchantName: "Lyft", Category: 23, Channel: "online",
		MinCents: 700, MaxCents: 5500, Weight: 10, Website: "lyft.com"},
	{Name: "Shell", MerchantName: "Shell", PendingName: "SHELL OIL 57444 LOS ANGELES", Category: 24, Channel: "in store",
		MinCents: 2500, MaxCents: 8500, Weight: 15, Website: "shell.com", Places: []place{austin, seattle}},
	{Name: "Chevron", MerchantName: "Chevron", Category: 24, Channel: "in store",
		MinCents: 2500, MaxCents: 9000, Weight: 10, Website: "chevron.com", Places: []place{sanFrancisco}},
	{Name: "BART Clipper", MerchantName: "BART", Category: 25, Channel: "in store",
		MinCents: 250, MaxCents: 2000, Weight: 10, Places: []place{sanFrancisco}},
	{Name: "SpotHero", MerchantName: "SpotHero", Category: 26, Channel: "online",
		MinCents: 800, MaxCents: 4500, Weight: 5, Website: "spothero.com"},
	{Name: "Netflix", MerchantName: "Netflix", Category: 27, Channel: "online",
		MinCents: 1549, MaxCents: 2299, Weight: 3, Website: "netflix.com"},
	{Name: "Spotify", MerchantName: "Spotify", Category: 28, Channel: "online",
		MinCents: 1199, MaxCents: 1699, Weight: 3, Website: "spotify.com"},
	{Name: "AMC Theatres", MerchantName: "AMC Theatres", Category: 27, Channel: "in store",
		MinCents: 1200, MaxCents: 4500, Weight: 4, Website: "amctheatres.com", Places: []place{chicago}},
	{Name: "United Airlines", MerchantName: "United Airlines", Category: 29, Channel: "online",
		MinCents: 9000, MaxCents: 85000, Weight: 2, Refunds: true, Website: "united.com"},
	{Name: "Airbnb", MerchantName: "Airbnb", Category: 30, Channel: "online",
		MinCents: 12000, MaxCents: 95000, Weight: 2, Refunds: true, Website: "airbnb.com"},
	{Name: "Marriott", MerchantName: "Marriott", Category: 30, Channel: "in store",
		MinCents: 15000, MaxCents: 60000, Weight: 1, Website: "marriott.com", Places: []place{newYork}},
	{Name: "Hertz", MerchantName: "Hertz", Category: 31, Channel: "in store",
		MinCents: 6000, MaxCents: 45000, Weight: 1, Website: "hertz.com", Places: []place{seattle}},
	{Name: "CVS Pharmacy", MerchantName: "CVS Pharmacy", Category: 32, Channel: "in store",
		MinCents: 300, MaxCents: 6000, Weight: 10, Website: "cvs.com", Places: []place{newYork, chicago}},
	{Name: "Walgreens", MerchantName: "Walgreens", Category: 32, Channel: "in store",
		MinCents: 300, MaxCents: 5000, Weight: 8, Website: "walgreens.com", Places: []place{austin}},
	{Name: "Planet Fitness", MerchantName: "Planet Fitness", Category: 33, Channel: "other",
		MinCents: 1000, MaxCents: 2499, Weight: 2, Website: "planetfitness.com", Places: []place{austin}},
	{Name: "Great Clips", MerchantName: "Great Clips", Category: 34, Channel: "in store",
		MinCents: 1800, MaxCents: 4500, Weight: 2, Tips: true, Website: "greatclips.com", Places: []place{chicago}},
	{Name: "The Home Depot", MerchantName: "The Home Depot", Category: 35, Channel: "in store",
		MinCents: 800, MaxCents: 30000, Weight: 5, Refunds: true, Website: "homedepot.com", Places: []place{seattle}},
	{Name: "GEICO", MerchantName: "GEICO", Category: 36, Channel: "online",
		MinCents: 9000, MaxCents: 16000, Weight: 1, Website: "geico.com"},
	{Name: "USPS", MerchantName: "USPS", Category: 37, Channel: "in store",
		MinCents: 120, MaxCents: 3500, Weight: 3, Website: "usps.com", Places: []place{newYork}},
	{Name: "a=b Labs, Inc.", MerchantName: "a=b Labs", Category: 38, Channel: "online",
		MinCents: 500, MaxCents: 5000, Weight: 3},
	{Name: "American Red Cross", MerchantName: "American Red Cross", Category: 39, Channel: "online",
		MinCents: 1000, MaxCents: 10000, Weight: 1, Website: "redcross.org"},
	{Name: `POS PURCHASE "TERMINAL 22" = 4417`, Category: noCategory, Channel: "in store",
		MinCents: 300, MaxCents: 8000, Weight: 6},
	{Name: `Misc. vendor, unknown \ ref 0091`, Category: noCategory, Channel: "other",
		MinCents: 500, MaxCents: 12000, Weight: 4},
	{Name: "ATM Withdrawal", Category: catWithdrawal, Channel: "in store",
		MinCents: 2000, MaxCents: 20000, Weight: 4, Places: []place{sanFrancisco, newYork}},

	// Where foreign-currency accounts shop.
	{Name: "Café de Flore", MerchantName: "Café de Flore", Category: 12, Channel: "in store",
		MinCents: 450, MaxCents: 3200, Weight: 30, Tips: true, Foreign: true, Places: []place{paris}},
	{Name: "Boulangerie «Paul»", MerchantName: "Paul", Category: 15, Channel: "in store",
		MinCents: 250, MaxCents: 1800, Weight: 30, Foreign: true, Places: []place{paris}},
	{Name: "Monoprix", MerchantName: "Monoprix", Category: 14, Channel: "in store",
		MinCents: 600, MaxCents: 9000, Weight: 25, Foreign: true, Places: []place{paris}},
	{Name: "SNCF Voyageurs", MerchantName: "SNCF", Category: 25, Channel: "online",
		MinCents: 1500, MaxCents: 12000, Weight: 8, Foreign: true, Website: "sncf-connect.com"},
	{Name: "Tesco Express", MerchantName: "Tesco", Category: 14, Channel: "in store",
		MinCents: 300, MaxCents: 6000, Weight: 15, Foreign: true, Places: []place{london}},
	{Name: "Pret A Manger", MerchantName: "Pret A Manger", Category: 15, Channel: "in store",
		MinCents: 350, MaxCents: 1500, Weight: 15, Foreign: true, Places: []place{london}},
	{Name: "Tim Hortons", MerchantName: "Tim Hortons", Category: 12, Channel: "in store",
		MinCents: 200, MaxCents: 1400, Weight: 15, Foreign: true, Places: []place{toronto}},

	// Payers and payees of recurring money movements (Weight 0).
	{Name: "ACME Corp Payroll", MerchantName: "", Category: catWages, Channel: "other"},
	{Name: "Greystar Rent, \"Unit 4B\"", MerchantName: "Greystar", Category: catRent, Channel: "other"},
	{Name: "Pacific Gas & Electric", MerchantName: "PG&E", Category: catElectricity, Channel: "online", Website: "pge.com"},
	{Name: "Comcast Xfinity", MerchantName: "Xfinity", Category: catInternet, Channel: "online", Website: "xfinity.com"},
	{Name: "Verizon Wireless", MerchantName: "Verizon", Category: catTelephone, Channel: "online", Website: "verizon.com"},
	{Name: "Online Transfer to SAV", Category: catTransferOut, Channel: "other"},
	{Name: "Online Transfer from CHK", Category: catTransferIn, Channel: "other"},
	{Name: "Payment to Card", Category: catCardPayment, Channel: "other"},
	{Name: "AUTOPAY PAYMENT - THANK YOU", Category: catCardPayment, Channel: "other"},
	{Name: "Interest Paid", Category: catInterest, Channel: "other"},
	{Name: "Loan Payment", Category: catStudentLoan, Channel: "other"},
	{Name: "Payment Received", Category: catStudentLoan, Channel: "other"},
	{Name: "Virement reçu \"Salaire\"", Category: catOtherIncome, Channel: "other"},
	// Transactions made with /sandbox/transactions/create carry their own
	// description as name.
	{Name: "Custom sandbox transaction", Category: noCategory, Channel: "other"},
}

// Indexes of the recurring payers and payees, looked up once.
var (
	mPayroll       = merchantIndex("ACME Corp Payroll")
	mRent          = merchantIndex("Greystar Rent, \"Unit 4B\"")
	mElectric      = merchantIndex("Pacific Gas & Electric")
	mInternet      = merchantIndex("Comcast Xfinity")
	mPhone         = merchantIndex("Verizon Wireless")
	mTransferOut   = merchantIndex("Online Transfer to SAV")
	mTransferIn    = merchantIndex("Online Transfer from CHK")
	mCardPayment   = merchantIndex("Payment to Card")
	mCardPaid      = merchantIndex("AUTOPAY PAYMENT - THANK YOU")
	mInterest      = merchantIndex("Interest Paid")
	mLoanPayment   = merchantIndex("Loan Payment")
	mLoanPaid      = merchantIndex("Payment Received")
	mForeignIncome = merchantIndex("Virement reçu \"Salaire\"")
	mCustom        = merchantIndex("Custom sandbox transaction")
)

func merchantIndex(name string) int {
	for i := range merchants {
		if merchants[i].Name == name {
			return i
		}
	}
	panic("plaidemu: no merchant " + name)
}

// weightedPicker picks merchant indexes in proportion to their weights.
type weightedPicker struct {
	idx   []int
	cumul []int
}

func newPicker(foreign bool) weightedPicker {
	var p weightedPicker
	total := 0
	for i, m := range merchants {
		if m.Weight == 0 || m.Foreign != foreign {
			continue
		}
		total += m.Weight
		p.idx = append(p.idx, i)
		p.cumul = append(p.cumul, total)
	}
	return p
}

func (p weightedPicker) pick(n int) int {
	// n is uniform in [0, total)
	lo, hi := 0, len(p.cumul)-1
	for lo < hi {
		mid := (lo + hi) / 2
		if p.cumul[mid] > n {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return p.idx[lo]
}

func (p weightedPicker) total() int { return p.cumul[len(p.cumul)-1] }

var (
	domesticStores = newPicker(false)
	foreignStores  = newPicker(true)
)

func init() {
	// Merchant entity ids are stable per merchant, like Plaid's.
	for i := range merchants {
		if merchants[i].MerchantName != "" {
			merchants[i].EntityID = plaidID(newRand(uint64(i), 0x6d65726368616e74))[:27]
		}
	}
}
